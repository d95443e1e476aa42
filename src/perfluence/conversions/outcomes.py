"""What a webhook delivery amounts to, for the route to answer and the ingest to store.

- ``Accepted``: one or more normalised events (a WooCommerce order update can
  carry a sale and several refunds); the ingest dedupes by external id.
- ``Ignored``: a topic or state perfluence does not count (a Stripe event type
  it does not use, an unpaid order). The route answers 200 so the platform
  stops retrying; nothing is stored.
- ``Ping``: WooCommerce's delivery test when a webhook is saved; 200, nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfluence.core.model import NormalisedEvent, WebhookSource


@dataclass(frozen=True, slots=True)
class Accepted:
    source: WebhookSource
    topic: str
    events: tuple[NormalisedEvent, ...]


@dataclass(frozen=True, slots=True)
class Ignored:
    source: WebhookSource
    topic: str
    reason: str


@dataclass(frozen=True, slots=True)
class Ping:
    source: WebhookSource


WebhookOutcome = Accepted | Ignored | Ping
