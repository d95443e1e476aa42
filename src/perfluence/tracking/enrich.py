"""Everything derived from a raw click, in the writer and never on the hot path.

Visitor hash (no raw IP kept), device/OS/browser from the user agent, the bot
flag, the referrer host and the country. User agents repeat heavily, so their
parse and bot verdict are cached together.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import ua_parser
from crawlerdetect import CrawlerDetect

from perfluence.core.visitors import daily_salt, referrer_host, visitor_hash
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
        self._salts: dict[date, bytes] = {}

    def _salt_for(self, day: date) -> bytes:
        salt = self._salts.get(day)
        if salt is None:
            if len(self._salts) > _SALT_CACHE_DAYS:
                self._salts.clear()
            salt = self._salts[day] = daily_salt(self._secret, day)
        return salt

    def enrich(self, raw: RawClick) -> EnrichedClick:
        occurred_at = datetime.fromtimestamp(raw.occurred_at, UTC)
        day = occurred_at.date()
        facts = user_agent_facts(raw.user_agent)
        return EnrichedClick(
            click_id=raw.click_id,
            link_id=raw.link_id,
            workspace_id=raw.workspace_id,
            occurred_at=occurred_at,
            visitor_hash=visitor_hash(self._salt_for(day), raw.ip, raw.user_agent),
            previous_visitor_hash=visitor_hash(
                self._salt_for(day - timedelta(days=1)), raw.ip, raw.user_agent
            ),
            device=facts.device,
            os=facts.os,
            browser=facts.browser,
            referrer_host=_referrer_host(raw.referrer),
            country=self._countries.country(raw.country_header, raw.ip),
            sub_id=raw.sub_id[:100] or None,
            is_bot=facts.is_bot,
        )

    def close(self) -> None:
        self._countries.close()
