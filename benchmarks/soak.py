"""Soak: two tracking nodes and an app node on one PostgreSQL, under load for minutes.

wrk drives each tracker (``perfluence serve --role tracker``) on a link of its
own, with a user agent per request drawn from ``--visitors``, while a thread
posts signed Shopify, WooCommerce and Stripe webhooks to the app node
(``--role app``). Every few seconds the resident memory of each node is
sampled. At the end the trackers get SIGTERM (they drain their buffers) and the
database is counted.

Prints req/s and latency per tracker, redirects answered against clicks stored,
webhooks accepted against conversions stored, memory at start / after warm-up /
peak / end, and a verdict: memory is flat when it grew less than 10 % from the
end of the warm-up (the first fifth of the run, at least a minute) to the end.

    python benchmarks/soak.py [--minutes 5] [--rate 1000] [--connections 32]
        [--visitors 20000] [--webhooks-per-second 10]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432]

Needs wrk and a PostgreSQL server it may create a scratch database on
(``--database``, default ``perfluence_soak``; dropped at the end).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import json
import os
import statistics
import threading
import time
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cluster import (
    SERVER,
    WEBHOOK_SECRET,
    WORKSPACE,
    Cluster,
    Node,
    check_tools,
    cluster,
    scratch_database,
    seed,
    start_wrk,
    stored_clicks,
    stored_conversions,
)

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "webhooks"
GROWTH_LIMIT = 0.10


# -- memory -------------------------------------------------------------------------


@dataclass
class MemorySampler:
    nodes: list[Node]
    every: float
    samples: list[tuple[float, list[float]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.samples.append((time.monotonic() - self._started, [n.rss_mb() for n in self.nodes]))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)


@dataclass(frozen=True)
class MemoryFigures:
    start: float
    after_warm_up: float
    peak: float
    end: float

    @property
    def growth(self) -> float:
        return (self.end - self.after_warm_up) / self.after_warm_up if self.after_warm_up else 0.0


def memory_figures(sampler: MemorySampler, index: int, warm_up: float) -> MemoryFigures:
    series = [(t, rss[index]) for t, rss in sampler.samples if rss[index] > 0]
    warm = [rss for t, rss in series if t <= warm_up] or [series[0][1]]
    # The last three samples under load (the final one is taken as wrk stops).
    tail = [rss for _, rss in series[-3:]]
    return MemoryFigures(
        start=series[0][1],
        after_warm_up=warm[-1],
        peak=max(rss for _, rss in series),
        end=statistics.median(tail),
    )


# -- webhooks -------------------------------------------------------------------------


def _fixture(platform: str, name: str) -> dict[str, Any]:
    loaded = json.loads((FIXTURES / platform / f"{name}.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _base64_hmac(body: bytes) -> str:
    return b64encode(hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class WebhookSender:
    """Posts signed shop deliveries to the app node at a steady rate, each a new order."""

    base: str
    per_second: float
    sent: int = 0
    accepted: int = 0
    created: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._shopify = _fixture("shopify", "orders_create")
        self._woo = _fixture("woocommerce", "order_updated")
        self._stripe = _fixture("stripe", "checkout_session_completed")
        self._deliveries: list[Callable[[int], tuple[str, bytes, dict[str, str]]]] = [
            self._shopify_order,
            self._woo_order,
            self._stripe_checkout,
        ]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        interval = 1 / self.per_second
        with httpx.Client(base_url=self.base, timeout=10) as client:
            n = 0
            next_at = time.monotonic()
            while not self._stop.is_set():
                source, body, headers = self._deliveries[n % 3](n)
                self._post(client, source, body, headers)
                n += 1
                next_at += interval
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _post(
        self, client: httpx.Client, source: str, body: bytes, headers: dict[str, str]
    ) -> None:
        self.sent += 1
        try:
            answer = client.post(f"/webhooks/{source}/{WORKSPACE}", content=body, headers=headers)
        except httpx.HTTPError:
            self.errors += 1
            return
        if answer.status_code == 200:
            self.accepted += 1
            self.created += int(answer.json().get("created", 0))
        else:
            self.refused[answer.status_code] = self.refused.get(answer.status_code, 0) + 1

    def _shopify_order(self, n: int) -> tuple[str, bytes, dict[str, str]]:
        order = copy.deepcopy(self._shopify)
        order["id"] = 7_000_000_000_000 + n
        body = json.dumps(order).encode()
        return (
            "shopify",
            body,
            {
                "content-type": "application/json",
                "x-shopify-topic": "orders/create",
                "x-shopify-hmac-sha256": _base64_hmac(body),
                "x-shopify-shop-domain": "bench.myshopify.com",
            },
        )

    def _woo_order(self, n: int) -> tuple[str, bytes, dict[str, str]]:
        order = copy.deepcopy(self._woo)
        order["id"] = 1_000_000 + n
        for i, refund in enumerate(order.get("refunds", [])):
            refund["id"] = 50_000_000 + n * 10 + i
        body = json.dumps(order).encode()
        return (
            "woocommerce",
            body,
            {
                "content-type": "application/json",
                "x-wc-webhook-topic": "order.updated",
                "x-wc-webhook-signature": _base64_hmac(body),
            },
        )

    def _stripe_checkout(self, n: int) -> tuple[str, bytes, dict[str, str]]:
        event = copy.deepcopy(self._stripe)
        event["id"] = f"evt_soak_{n}"
        event["data"]["object"]["id"] = f"cs_soak_{n}"
        event["data"]["object"]["payment_intent"] = f"pi_soak_{n}"
        body = json.dumps(event).encode()
        t = int(time.time())
        digest = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256)
        return (
            "stripe",
            body,
            {
                "content-type": "application/json",
                "stripe-signature": f"t={t},v1={digest.hexdigest()}",
            },
        )


# -- the run --------------------------------------------------------------------------


def soak(running: Cluster, args: argparse.Namespace) -> bool:
    seconds = args.minutes * 60
    trackers = [running.start(f"tracker-{x}", "tracker") for x in ("a", "b")]
    app = running.start("app", "app")
    running.wait_until_up(*trackers, app)
    nodes = [*trackers, app]
    sampler = MemorySampler(nodes, args.sample_seconds)
    sender = WebhookSender(app.base, args.webhooks_per_second)
    sampler.start()
    sender.start()
    runs = [
        start_wrk(
            f"{t.base}/l/soak-{t.name[-1]}",
            seconds,
            args.connections,
            visitors=args.visitors,
            rate=args.rate,
        )
        for t in trackers
    ]
    results = [run.result() for run in runs]
    sender.stop()
    sampler.stop()
    health = [t.health()["clicks"] for t in trackers]
    drains = [running.stop(t) for t in trackers]
    running.stop(app)

    print(f"\n{'tracker':10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>8} {'answered':>9} "
          f"{'stored':>9} {'lost':>5} {'errors':>6} {'drain s':>7}")  # fmt: skip
    lost_total = 0
    for node, result, drain in zip(trackers, results, drains, strict=True):
        stored = stored_clicks(running.ctx, f"soak-{node.name[-1]}")
        # wrk does not count the responses in flight when it stops; their clicks are stored
        # too, so stored >= answered when nothing is lost.
        lost = max(0, result.redirects - stored)
        lost_total += lost
        print(
            f"{node.name:10} {result.rps:8.0f} {result.p50_ms:7.2f} {result.p99_ms:8.2f} "
            f"{result.redirects:9d} {stored:9d} {lost:5d} "
            f"{result.socket_errors + result.non_3xx:6d} {drain:7.1f}"
        )
    for node, counters in zip(trackers, health, strict=True):
        print(f"{node.name}: writer counters before stopping: {counters}")

    conversions = stored_conversions(running.ctx)
    print(
        f"\nwebhooks: {sender.sent} sent, {sender.accepted} accepted (200), "
        f"{sender.created} conversions created, {conversions} stored, "
        f"refused {sender.refused or 0}, transport errors {sender.errors}"
    )

    warm_up = max(60.0, seconds / 5)
    print(f"\nmemory (RSS MiB; warm-up {warm_up:.0f} s, sampled every {args.sample_seconds} s)")
    print(f"{'node':10} {'start':>7} {'warm':>7} {'peak':>7} {'end':>7} {'growth':>7}")
    flat = True
    for index, node in enumerate(nodes):
        figures = memory_figures(sampler, index, warm_up)
        flat &= figures.growth < GROWTH_LIMIT
        print(
            f"{node.name:10} {figures.start:7.1f} {figures.after_warm_up:7.1f} "
            f"{figures.peak:7.1f} {figures.end:7.1f} {figures.growth:+7.1%}"
        )
    webhooks_ok = sender.created == conversions and not sender.errors and not sender.refused
    print(f"\nclicks lost: {lost_total}")
    print(f"webhook conversions lost: {sender.created - conversions}")
    verdict = "flat" if flat else f"NOT flat (growth >= {GROWTH_LIMIT:.0%} after warm-up)"
    print(f"memory: {verdict}")
    return lost_total == 0 and webhooks_ok and flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32, help="wrk connections per tracker")
    parser.add_argument("--visitors", type=int, default=20_000, help="visitors per tracker")
    parser.add_argument(
        "--rate",
        type=float,
        default=1_000,
        help="most requests/s per tracker (0: as fast as it answers, past what the writer "
        "keeps up with: the buffer fills, spills to the spool and, past twice its size, drops)",
    )
    parser.add_argument("--webhooks-per-second", type=float, default=10.0)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL (no database)")
    parser.add_argument("--database", default="perfluence_soak", help="scratch database name")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    check_tools()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {args.minutes} min")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with scratch_database(args.server, args.database, keep=args.keep_database) as ctx:
        seed(ctx, ["soak-a", "soak-b"])
        with cluster(ctx) as running:
            ok = soak(running, args)
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
