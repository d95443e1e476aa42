"""What the writer derives from a raw click: device, OS, browser, bot flag, country."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from perfluence.config import Environment, Settings
from perfluence.core.visitors import daily_salt, visitor_hash
from perfluence.store.clicks import CLICK_COLUMNS
from perfluence.tracking.enrich import ClickFacts, Enricher, user_agent_facts
from perfluence.tracking.events import EnrichedClick, RawClick

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
INSTAGRAM_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.40.92 (iPhone14,5; iOS 17_4; da_DK)"
)
SNAPCHAT_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Snapchat/13.10.0.41 (like Safari/604.1)"
)
MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("ua", "device", "os", "browser"),
    [
        (IPHONE_SAFARI, "mobile", "iOS", "Mobile Safari"),
        (WINDOWS_CHROME, "desktop", "Windows", "Chrome"),
        (MAC_SAFARI, "desktop", "Mac OS X", "Safari"),
        (IPAD, "tablet", "iOS", "Mobile Safari"),
        (ANDROID_PHONE, "mobile", "Android", "Chrome Mobile"),
        (ANDROID_TABLET, "tablet", "Android", "Chrome"),
        (INSTAGRAM_IN_APP, "mobile", "iOS", "Instagram"),
        (SNAPCHAT_IN_APP, "mobile", "iOS", "Snapchat"),
    ],
)
def test_people(ua: str, device: str, os: str, browser: str) -> None:
    facts = user_agent_facts(ua)
    assert (facts.device, facts.os, facts.browser, facts.is_bot) == (device, os, browser, False)


@pytest.mark.parametrize(
    "ua",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "WhatsApp/2.23.20.0",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat_preview@snap.com)",
        "http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Slack-ImgProxy",
        # Scripts are not people: curl and friends count as bots.
        "curl/8.4.0",
        "python-requests/2.31.0",
        "",
        "   ",
    ],
)
def test_bots_and_preview_fetchers(ua: str) -> None:
    facts = user_agent_facts(ua)
    assert facts.is_bot
    assert facts.device == "bot"


def _settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings(env=Environment.TEST, data_dir=tmp_path, **kwargs)  # type: ignore[arg-type]


def _raw(**kwargs: object) -> RawClick:
    values: dict[str, object] = {
        "occurred_at": 1_772_452_800.25,  # 2026-03-02 12:00:00.25 UTC
        "link_id": 7,
        "workspace_id": 3,
        "click_id": "c1",
        "ip": "203.0.113.7",
        "user_agent": IPHONE_SAFARI,
        "referrer": "https://www.instagram.com/",
        "country_header": "",
        "sub_id": "",
    }
    values.update(kwargs)
    return RawClick(**values)  # type: ignore[arg-type]


def test_enrich_derives_everything_and_keeps_no_ip(tmp_path: Path) -> None:
    settings = _settings(tmp_path, secret_key="s3cret")
    click = Enricher(settings).enrich(_raw(sub_id="story"))
    assert click.occurred_at.isoformat() == "2026-03-02T12:00:00.250000+00:00"
    salt = daily_salt(b"s3cret", click.occurred_at.date())
    assert click.visitor_hash == visitor_hash(salt, "203.0.113.7", IPHONE_SAFARI)
    assert (click.device, click.os, click.browser) == ("mobile", "iOS", "Mobile Safari")
    assert click.referrer_host == "www.instagram.com"
    assert click.sub_id == "story"
    assert click.country is None
    assert not click.is_bot
    assert "203.0.113.7" not in repr(click)
    assert "203.0.113.7" not in str(click.to_json())


def test_trusted_country_header_only_when_configured_and_valid(tmp_path: Path) -> None:
    trusting = Enricher(_settings(tmp_path, trusted_country_header="cf-ipcountry"))
    assert trusting.enrich(_raw(country_header="dk")).country == "DK"
    assert trusting.enrich(_raw(country_header="XX1")).country is None
    assert trusting.enrich(_raw(country_header="")).country is None
    untrusting = Enricher(_settings(tmp_path))
    assert untrusting.enrich(_raw(country_header="DK")).country is None


def test_geoip_without_maxminddb_degrades_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        enricher = Enricher(_settings(tmp_path, geoip_database=tmp_path / "GeoLite2-Country.mmdb"))
    assert "maxminddb" in caplog.text or "GeoIP" in caplog.text
    assert enricher.enrich(_raw()).country is None


def test_spool_line_round_trips(tmp_path: Path) -> None:
    click = Enricher(_settings(tmp_path)).enrich(_raw(referrer="", sub_id=""))
    assert click.referrer_host is None
    assert click.sub_id is None
    assert EnrichedClick.from_json(click.to_json()) == click


def test_the_writers_tuple_is_the_enriched_click(tmp_path: Path) -> None:
    enricher = Enricher(_settings(tmp_path))
    raw = _raw(sub_id="story", country_header="DK")
    facts = enricher.facts(raw)
    assert facts.to_enriched() == enricher.enrich(raw)
    assert ClickFacts.from_enriched(facts.to_enriched()) == facts
    # The first twelve fields are the stored columns, in the insert's order.
    assert ClickFacts._fields[:12] == CLICK_COLUMNS[:12]
    assert facts.previous_visitor_hash != facts.visitor_hash
