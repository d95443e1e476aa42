"""The two shapes a click takes between the redirect and the ``clicks`` table.

``RawClick`` is what the hot path enqueues: plain values it already has, nothing
derived, and the only place a raw IP address ever lives (in memory, briefly).
``EnrichedClick`` is what the writer derives from it: the visitor hash instead
of the IP, device/OS/browser, referrer host, country and the bot flag. The
unique flag is not part of it because it depends on what is already stored; it
is decided at insert time, so an enriched click can be spooled and replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


class RawClick(NamedTuple):
    """One click as the redirect saw it; the writer derives everything else.

    A named tuple rather than a frozen dataclass: the redirect makes one per
    request, and a tuple costs a quarter as much to make (0.27 µs against 0.94).
    """

    occurred_at: float  # time.time() at the handler (UTC epoch seconds)
    link_id: int
    workspace_id: int
    click_id: str
    ip: str  # never stored; only hashed in the writer
    user_agent: str
    referrer: str
    country_header: str  # value of the trusted country header, or ""
    sub_id: str  # optional source sub-tag (?sub=), or ""


@dataclass(frozen=True, slots=True)
class EnrichedClick:
    """A click ready to store, minus the unique flag (decided against the database)."""

    click_id: str
    link_id: int
    workspace_id: int
    occurred_at: datetime  # aware UTC
    visitor_hash: str
    # The same visitor under the previous and the next day's salt: a click's 24 h unique
    # window reaches into both. Used for the unique check only, never stored; empty for bots.
    previous_visitor_hash: str
    device: str
    os: str | None
    browser: str | None
    referrer_host: str | None
    country: str | None
    sub_id: str | None
    is_bot: bool
    # Spool files written before it existed have none: "" (see ``tracking.writer``).
    next_visitor_hash: str = ""

    def to_json(self) -> dict[str, Any]:
        """The spool line: JSON-safe, no raw IP (there is none to write)."""
        return {
            "click_id": self.click_id,
            "link_id": self.link_id,
            "workspace_id": self.workspace_id,
            "occurred_at": self.occurred_at.isoformat(),
            "visitor_hash": self.visitor_hash,
            "previous_visitor_hash": self.previous_visitor_hash,
            "next_visitor_hash": self.next_visitor_hash,
            "device": self.device,
            "os": self.os,
            "browser": self.browser,
            "referrer_host": self.referrer_host,
            "country": self.country,
            "sub_id": self.sub_id,
            "is_bot": self.is_bot,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnrichedClick:
        occurred_at = datetime.fromisoformat(str(data["occurred_at"]))
        if occurred_at.tzinfo is None:
            raise ValueError("spooled click without a time zone")
        return cls(
            click_id=str(data["click_id"]),
            link_id=int(data["link_id"]),
            workspace_id=int(data["workspace_id"]),
            occurred_at=occurred_at,
            visitor_hash=str(data["visitor_hash"]),
            previous_visitor_hash=str(data["previous_visitor_hash"]),
            next_visitor_hash=str(data.get("next_visitor_hash") or ""),
            device=str(data["device"]),
            os=_optional_str(data.get("os")),
            browser=_optional_str(data.get("browser")),
            referrer_host=_optional_str(data.get("referrer_host")),
            country=_optional_str(data.get("country")),
            sub_id=_optional_str(data.get("sub_id")),
            is_bot=bool(data["is_bot"]),
        )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
