"""How many failed logins and wrong credentials a client may try before it has to wait.

Three limits (``services.ratelimit``), counted in this process's memory only:
failed logins per client address, failed logins per account (the e-mail as
typed, whether or not such an account exists, so the answer never tells), and
wrong API keys or portal links per client address. Only failures count, and a
client over a limit is refused *before* its credentials are checked, so it
learns nothing more by trying. The answer is ``429`` with ``Retry-After``.

Addresses and e-mails are keyed by a keyed BLAKE2b digest under a random key
drawn at start-up: the limiter's memory holds no address and no e-mail. The
client address is the one the server resolved, which behind a trusted proxy
(``--forwarded-allow-ips``) is the forwarded one; an IPv6 client counts by its
/64 and a loopback peer is not counted per address (``services.ratelimit.address_key``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from perfluence.config import Settings
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.ratelimit import RateLimiter, Verdict, address_key


class TooManyAttemptsError(PerfluenceError):
    """Over a failure limit: the same answer whichever limit it was and whoever asked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            ErrorCode.RATE_LIMITED,
            f"too many failed attempts; try again in {retry_after} seconds",
        )
        self.retry_after = retry_after


def _refuse_if_over(*verdicts: Verdict) -> None:
    wait = max((v.retry_after_seconds for v in verdicts), default=0)
    if wait:
        raise TooManyAttemptsError(wait)


class AuthLimits:
    """The process's failure counters; one instance per running application."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        login_window = float(settings.login_failure_window_seconds)
        self.login_per_ip = RateLimiter(settings.login_failures_per_ip, login_window, clock=clock)
        self.login_per_account = RateLimiter(
            settings.login_failures_per_account, login_window, clock=clock
        )
        self.credentials_per_ip = RateLimiter(
            settings.credential_failures_per_ip,
            float(settings.credential_failure_window_seconds),
            clock=clock,
        )
        self._key = secrets.token_bytes(32)

    def _digest(self, kind: str, value: str) -> bytes:
        return hashlib.blake2b(
            f"{kind}\x00{value}".encode(), key=self._key, digest_size=16
        ).digest()

    def _ip(self, client: str | None) -> bytes | None:
        # No address (a Unix socket), or loopback: nothing is counted per address.
        key = None if client is None else address_key(client)
        return None if key is None else self._digest("ip", key)

    def _account(self, email: str) -> bytes:
        return self._digest("account", email.strip().lower())

    def check_login(self, client: str | None, email: str) -> None:
        """Raise ``TooManyAttemptsError`` when this address or this account must wait."""
        ip = self._ip(client)
        _refuse_if_over(
            self.login_per_account.check(self._account(email)),
            *([] if ip is None else [self.login_per_ip.check(ip)]),
        )

    def login_failed(self, client: str | None, email: str) -> None:
        ip = self._ip(client)
        self.login_per_account.hit(self._account(email))
        if ip is not None:
            self.login_per_ip.hit(ip)

    def login_succeeded(self, email: str) -> None:
        """The account's count starts again; the address's does not (it may be guessing others)."""
        self.login_per_account.reset(self._account(email))

    def check_credentials(self, client: str | None) -> None:
        ip = self._ip(client)
        if ip is not None:
            _refuse_if_over(self.credentials_per_ip.check(ip))

    def credentials_failed(self, client: str | None) -> None:
        ip = self._ip(client)
        if ip is not None:
            self.credentials_per_ip.hit(ip)


def auth_limits_for(ctx: Context) -> AuthLimits:
    """Counters on the context's clock (a test's frozen clock moves them too)."""
    return AuthLimits(ctx.settings, lambda: ctx.now().timestamp())
