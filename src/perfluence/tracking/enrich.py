"""Everything derived from a raw click, in the writer and never on the hot path.

Visitor hash (no raw IP kept), device/OS/browser from the user agent, the bot
flag, the referrer host and the country. User agents repeat heavily, so their
parse and bot verdict are cached together.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import ua_parser
from crawlerdetect import CrawlerDetect

from perfluence.core.visitors import daily_salt, referrer_host, visitor_hash, visitor_hashes
from perfluence.tracking.events import EnrichedClick, RawClick

if TYPE_CHECKING:
    from perfluence.config import Settings

log = logging.getLogger(__name__)

# Link-preview fetchers: they fetch every shared link, no person behind them. Only the
# fetchers' own names: the in-app browsers of Instagram, Facebook, Snapchat, Pinterest and
# LINE carry their app's name too, and those clicks are people.
_PREVIEW_FETCHERS = re.compile(
    "|".join(
        re.escape(name)
        for name in (
            "facebookexternalhit",
            "facebookcatalog",
            "Facebot",
            "meta-externalagent",
            "Twitterbot",
            "Slackbot",
            "Slack-ImgProxy",
            "Discordbot",
            "TelegramBot",
            "WhatsApp",
            "LinkedInBot",
            "SkypeUriPreview",
            "Pinterestbot",
            "redditbot",
            "Applebot",
            "Snap URL Preview",
            "Iframely",
            "Embedly",
            "vkShare",
            "Google-PageRenderer",
            "Mastodon",
            "Bluesky",
            "KakaoTalk-scrap",
            "Yahoo Link Preview",
            "Google-InspectionTool",
            "Microsoft Preview",
        )
    ),
    re.IGNORECASE,
)

_TABLET_DEVICES = re.compile(r"ipad|tablet|kindle|silk|playbook|nexus (7|9|10)|sm-t\d", re.I)
_MOBILE_OS = frozenset({"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Tizen"})
_DESKTOP_OS = frozenset(
    {"Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Fedora", "Chrome OS", "ChromeOS"}
)
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_UA_CACHE_SIZE = 4096
_SALT_CACHE_DAYS = 8
_DAY = timedelta(days=1)


class ClickFacts(NamedTuple):
    """An ``EnrichedClick`` as the writer handles it: a plain tuple, 12x cheaper to make.

    The first twelve fields are the ``clicks`` columns in the order of
    ``perfluence.store.clicks.CLICK_COLUMNS``; the unique flag follows when stored.
    """

    workspace_id: int
    link_id: int
    click_id: str
    occurred_at: datetime  # aware UTC
    visitor_hash: str
    device: str
    os: str | None
    browser: str | None
    referrer_host: str | None
    country: str | None
    sub_id: str | None
    is_bot: bool
    # The same visitor under the day before's and the day after's salt, for the unique check
    # only, never stored; empty for bots, which the unique rule leaves out.
    previous_visitor_hash: str
    next_visitor_hash: str

    def to_enriched(self) -> EnrichedClick:
        return EnrichedClick(
            click_id=self.click_id,
            link_id=self.link_id,
            workspace_id=self.workspace_id,
            occurred_at=self.occurred_at,
            visitor_hash=self.visitor_hash,
            previous_visitor_hash=self.previous_visitor_hash,
            next_visitor_hash=self.next_visitor_hash,
            device=self.device,
            os=self.os,
            browser=self.browser,
            referrer_host=self.referrer_host,
            country=self.country,
            sub_id=self.sub_id,
            is_bot=self.is_bot,
        )

    @classmethod
    def from_enriched(cls, click: EnrichedClick) -> ClickFacts:
        return cls(
            click.workspace_id,
            click.link_id,
            click.click_id,
            click.occurred_at,
            click.visitor_hash,
            click.device,
            click.os,
            click.browser,
            click.referrer_host,
            click.country,
            click.sub_id,
            click.is_bot,
            click.previous_visitor_hash,
            click.next_visitor_hash,
        )


# A named tuple made from a tuple of its fields without its Python-level ``__new__``.
_new_facts = cast("Callable[[tuple[Any, ...]], ClickFacts]", partial(tuple.__new__, ClickFacts))


class UserAgentFacts(NamedTuple):
    device: str  # desktop | mobile | tablet | bot | other
    os: str | None
    browser: str | None
    is_bot: bool


def _family(part: Any, limit: int = 40) -> str | None:
    family = getattr(part, "family", None) if part is not None else None
    if not family or family == "Other":
        return None
    return str(family)[:limit]


def _device_type(ua: str, os_family: str | None, device_family: str | None) -> str:
    if device_family == "Spider":
        return "bot"
    if _TABLET_DEVICES.search(ua) or (os_family == "Android" and "Mobile" not in ua):
        return "tablet"
    if os_family in _MOBILE_OS or "Mobile" in ua:
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return "other"


_crawler_detect = CrawlerDetect()

# Referrers repeat as much as user agents do (a handful of social hosts).
_referrer_host = lru_cache(maxsize=_UA_CACHE_SIZE)(referrer_host)


@lru_cache(maxsize=_UA_CACHE_SIZE)
def user_agent_facts(user_agent: str) -> UserAgentFacts:
    """Device type, OS, browser and bot verdict of one user agent (cached)."""
    ua = user_agent.strip()
    if not ua:
        return UserAgentFacts("bot", None, None, is_bot=True)
    parsed = ua_parser.parse(ua)
    os_family = _family(parsed.os)
    browser = _family(parsed.user_agent)
    device_family = _family(parsed.device)
    is_bot = (
        device_family == "Spider"
        or _PREVIEW_FETCHERS.search(ua) is not None
        or bool(_crawler_detect.isCrawler(ua))
    )
    device = "bot" if is_bot else _device_type(ua, os_family, device_family)
    return UserAgentFacts(device, os_family, browser, is_bot)


def warm_up() -> None:
    """Load ua-parser's and crawlerdetect's patterns now (≈0.4 s) rather than on a first click."""
    user_agent_facts.__wrapped__("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0")


class CountryLookup:
    """Country from a trusted header, else from a MaxMind database when one is configured."""

    def __init__(self, settings: Settings) -> None:
        self._use_header = bool(settings.trusted_country_header)
        self._reader: Any = None
        if settings.geoip_database is not None:
            self._reader = _open_geoip(settings.geoip_database)

    @property
    def active(self) -> bool:
        """Whether ``country`` can ever find a country (else the writer does not ask)."""
        return self._use_header or self._reader is not None

    def country(self, header_value: str, ip: str) -> str | None:
        if self._use_header:
            value = header_value.strip()
            if _COUNTRY.fullmatch(value):
                return value.upper()
        if self._reader is None or not ip:
            return None
        try:
            record = self._reader.get(ip)
        except ValueError:  # not an IP address
            return None
        code = (
            (record or {}).get("country", {}).get("iso_code") if isinstance(record, dict) else None
        )
        return str(code).upper() if isinstance(code, str) and _COUNTRY.fullmatch(code) else None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


def _open_geoip(path: Path) -> Any:
    try:
        import maxminddb  # type: ignore[import-not-found]  # noqa: PLC0415 - optional dependency
    except ImportError:
        log.warning(
            "geoip_database is set but the 'maxminddb' package is not installed; "
            "clicks get a country only from the trusted country header"
        )
        return None
    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError) as exc:
        log.warning("cannot open the GeoIP database %s (%s); countries stay empty", path, exc)
        return None


class Enricher:
    """Turns raw clicks into storable ones. Not thread-safe: the writer thread owns it."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.secret_key.get_secret_value().encode()
        self._countries = CountryLookup(settings)
        # Per day: that day's salt, the day before's and the day after's (a click's unique
        # window reaches into both).
        self._salts: dict[date, tuple[bytes, bytes, bytes]] = {}

    def _salts_for(self, day: date) -> tuple[bytes, bytes, bytes]:
        salts = self._salts.get(day)
        if salts is None:
            if len(self._salts) > _SALT_CACHE_DAYS:
                self._salts.clear()
            salts = self._salts[day] = (
                daily_salt(self._secret, day),
                daily_salt(self._secret, day - _DAY),
                daily_salt(self._secret, day + _DAY),
            )
        return salts

    def enrich(self, raw: RawClick) -> EnrichedClick:
        return self.facts(raw).to_enriched()

    def facts(self, raw: RawClick) -> ClickFacts:
        """What ``enrich`` derives, as the tuple the writer stores."""
        return self.facts_of((raw,))[0]

    def facts_of(self, raws: Iterable[RawClick]) -> list[ClickFacts]:
        """``facts`` of many clicks, in one loop (the writer enriches a batch at a time)."""
        countries = self._countries
        country_of = countries.country if countries.active else None
        from_timestamp = datetime.fromtimestamp
        ua_facts = user_agent_facts
        host_of = _referrer_host
        one_hash, two_hashes = visitor_hash, visitor_hashes
        facts = _new_facts
        found: list[ClickFacts] = []
        append = found.append
        last_day = -1
        day = before = after = b""
        for occurred_at, link_id, workspace_id, click_id, ip, user_agent, referrer, cc, sub in raws:
            moment = from_timestamp(occurred_at, UTC)
            ordinal = moment.toordinal()
            if ordinal != last_day:
                day, before, after = self._salts_for(moment.date())
                last_day = ordinal
            device, os, browser, is_bot = ua_facts(user_agent)
            if is_bot:
                # Bots are never unique and no one's earlier click: the stored hash will do.
                hashed, previous, following = one_hash(day, ip, user_agent), "", ""
            else:
                hashed, previous = two_hashes((day, before), ip, user_agent)
                following = one_hash(after, ip, user_agent)
            append(
                facts(
                    (
                        workspace_id,
                        link_id,
                        click_id,
                        moment,
                        hashed,
                        device,
                        os,
                        browser,
                        host_of(referrer) if referrer else None,
                        country_of(cc, ip) if country_of is not None else None,
                        sub[:100] or None,
                        is_bot,
                        previous,
                        following,
                    )
                )
            )
        return found

    def close(self) -> None:
        self._countries.close()
