"""Caption verdicts per market: labelled at the start, hashtag only, buried, missing, label."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.disclosure import (
    RULES,
    Verdict,
    check_caption,
    check_markets,
    rule_for,
    worst,
)
from perfluence.errors import PerfluenceError

TAGS = " ".join(f"#tag{n}" for n in range(30))
FILLER = (
    "Min morgen starter altid med en kop kaffe fra det lille ristieri på hjørnet, og i dag "
    "fik jeg lov at smage deres nye blanding, som er rund, nøddeagtig og perfekt til "
    "havremælk. Brug koden EMMA15 for 15 % rabat."
)

# (market, caption, platform label, expected verdict)
CASES = [
    # Denmark
    ("DK", "Reklame for Kaffebaren ☕ " + FILLER, None, Verdict.COMPLIANT),
    ("DK", "ANNONCE | " + FILLER, None, Verdict.COMPLIANT),
    ("DK", "#reklame " + FILLER, None, Verdict.COMPLIANT),
    ("DK", FILLER + " " + TAGS + " #reklame", None, Verdict.HASHTAG_ONLY),
    ("DK", FILLER + " Reklame for Kaffebaren.", None, Verdict.BURIED),
    ("DK", FILLER, None, Verdict.MISSING),
    ("DK", "#ad " + FILLER, None, Verdict.MISSING),
    ("DK", FILLER, True, Verdict.LABEL),
    ("DK", "Reklamationsret gælder selvfølgelig. " + FILLER, None, Verdict.MISSING),
    # Sweden
    ("SE", "Reklam för Kaffebaren. Min morgon börjar alltid med kaffe.", None, Verdict.COMPLIANT),
    ("SE", "#annons Ny favorit i koppen!", None, Verdict.COMPLIANT),
    ("SE", FILLER + " " + TAGS + " #reklam", None, Verdict.HASHTAG_ONLY),
    ("SE", FILLER + " Annons.", None, Verdict.BURIED),
    ("SE", "Reklame for Kaffebaren " + FILLER, None, Verdict.MISSING),
    ("SE", FILLER, True, Verdict.LABEL),
    # Norway
    ("NO", "Annonse: Kaffebaren har ny blanding, og den er nydelig.", None, Verdict.COMPLIANT),
    ("NO", "REKLAME\nMorgenkaffen min er ny.", None, Verdict.COMPLIANT),
    ("NO", FILLER + " " + TAGS + " #annonse", None, Verdict.HASHTAG_ONLY),
    ("NO", FILLER + " Reklame for Kaffebaren.", None, Verdict.BURIED),
    ("NO", FILLER, None, Verdict.MISSING),
    ("NO", FILLER, True, Verdict.LABEL),
    # United Kingdom
    ("UK", "#ad My new morning coffee from Kaffebaren.", None, Verdict.COMPLIANT),
    ("GB", "Paid partnership with Kaffebaren: my new favourite.", None, Verdict.COMPLIANT),
    ("GB", "My new morning coffee " + "x" * 150 + " " + TAGS + " #ad", None, Verdict.HASHTAG_ONLY),
    ("GB", "My new morning coffee " + "x" * 150 + " This is an ad.", None, Verdict.BURIED),
    ("GB", "#sp #spon #collab thanks to Kaffebaren", None, Verdict.MISSING),
    ("GB", "My new morning coffee.", True, Verdict.LABEL),
    ("GB", "Loving this #adventure", None, Verdict.MISSING),
    # United States
    ("US", "#ad Loving my new coffee", None, Verdict.COMPLIANT),
    ("US", "Sponsored by Kaffebaren. Loving my new coffee", None, Verdict.COMPLIANT),
    (
        "US",
        "Loving my new coffee " + "x" * 150 + " " + TAGS + " #sponsored",
        None,
        Verdict.HASHTAG_ONLY,
    ),
    ("US", "Loving my new coffee " + "x" * 150 + " (advertisement)", None, Verdict.BURIED),
    ("US", "Loving my new coffee", None, Verdict.MISSING),
    # The FTC: the platform's tool alone may not be enough.
    ("US", "Loving my new coffee", True, Verdict.MISSING),
]


@pytest.mark.parametrize(("market", "caption", "label", "expected"), CASES)
def test_verdict(market: str, caption: str, label: bool | None, expected: Verdict) -> None:
    finding = check_caption(caption, market, platform_label=label)
    assert finding.verdict is expected, finding.reason
    assert finding.compliant is (expected in {Verdict.COMPLIANT, Verdict.LABEL})


def test_the_label_must_end_within_the_first_125_characters() -> None:
    ends_at_125 = "x" * 117 + " reklame"
    ends_at_126 = "x" * 118 + " reklame"
    assert len(ends_at_125) == 125
    assert check_caption(ends_at_125, "DK").verdict is Verdict.COMPLIANT
    assert check_caption(ends_at_126, "DK").verdict is Verdict.BURIED


def test_every_rule_names_its_source_and_labels() -> None:
    assert {r.market for r in RULES} == {"DK", "SE", "NO", "GB", "US"}
    for rule in RULES:
        assert rule.source.title
        assert rule.source.publisher
        assert rule.labels
        assert all(label == label.lower() for label in rule.labels)


def test_unknown_market_is_refused() -> None:
    with pytest.raises(PerfluenceError, match="no disclosure rule for market 'FI'"):
        rule_for("FI")


def test_several_markets_take_the_worst_verdict() -> None:
    caption = "Reklame for Kaffebaren " + FILLER
    findings = check_markets(caption, ["DK", "SE", "FI"])
    assert {f.market: f.verdict for f in findings} == {
        "DK": Verdict.COMPLIANT,
        "SE": Verdict.MISSING,
    }
    found = worst(findings)
    assert found is not None
    assert found.market == "SE"
    assert worst([]) is None


def test_missing_caption_is_missing() -> None:
    assert check_caption(None, "NO").verdict is Verdict.MISSING


@given(st.text(max_size=300), st.sampled_from(["DK", "SE", "NO", "GB", "US"]))
def test_a_label_put_first_always_makes_a_post_compliant(text: str, market: str) -> None:
    rule = rule_for(market)
    assert check_caption(f"{rule.labels[0].title()}: {text}", market).compliant
