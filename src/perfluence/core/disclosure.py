"""Advertising disclosure per market (pure): is a sponsored post labelled as an ad?

The rules are data (``RULES``): per market the labels its regulator accepts,
where the label must stand, whether a hashtag form counts, whether the
platform's own paid-partnership label is enough, and the guidance the rule
comes from. ``docs/compliance.md`` shows the same table.

A verdict is one of:

- ``compliant``: an accepted label stands at the start of the caption: it
  ends within the first ``start_chars`` characters, so it is visible before
  the platform cuts the caption off behind "more" (125 characters on
  Instagram).
- ``label``: the platform's paid-partnership label is on the post and the
  market accepts it on its own. Compliant too.
- ``hashtag_only``: the only label is a hashtag (``#reklame``) after the start,
  typically lost among the hashtags at the end.
- ``buried``: the label is written out but not at the start.
- ``missing``: no accepted label at all.

This is a screening aid, not legal advice: a regulator judges the overall
impression (a label in the wrong language, low contrast in a video, a label
only in a story's last frame), which no caption check can see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Final

from perfluence.errors import ErrorCode, PerfluenceError

INSTAGRAM_TRUNCATION: Final = 125


class Verdict(StrEnum):
    COMPLIANT = "compliant"
    LABEL = "label"
    HASHTAG_ONLY = "hashtag_only"
    BURIED = "buried"
    MISSING = "missing"


COMPLIANT_VERDICTS: Final = frozenset({Verdict.COMPLIANT, Verdict.LABEL})
# Worst first: when a post is checked against several markets, the worst verdict stands.
SEVERITY: Final = (
    Verdict.MISSING,
    Verdict.HASHTAG_ONLY,
    Verdict.BURIED,
    Verdict.LABEL,
    Verdict.COMPLIANT,
)


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    publisher: str


@dataclass(frozen=True, slots=True)
class DisclosureRule:
    """What one market's regulator accepts as a clear ad label on social media."""

    market: str  # ISO 3166-1 alpha-2
    labels: tuple[str, ...]  # words or phrases, matched case-insensitively as whole words
    start_chars: int
    hashtag_at_start_accepted: bool
    platform_label_sufficient: bool
    source: Source
    note: str


RULES: Final[tuple[DisclosureRule, ...]] = (
    DisclosureRule(
        market="DK",
        labels=("reklame", "annonce"),
        start_chars=INSTAGRAM_TRUNCATION,
        hashtag_at_start_accepted=True,
        platform_label_sufficient=True,
        source=Source(
            "Forbrugerombudsmandens guide om skjult reklame på sociale medier "
            "(guidance for influencers on marking advertising)",
            "Forbrugerombudsmanden (Danish Consumer Ombudsman)",
        ),
        note="Danish words at the very start; English '#ad' or 'sponsored' is not enough.",
    ),
    DisclosureRule(
        market="SE",
        labels=("reklam", "annons"),
        start_chars=INSTAGRAM_TRUNCATION,
        hashtag_at_start_accepted=True,
        platform_label_sufficient=True,
        source=Source(
            "Konsumentverkets vägledning om marknadsföring i sociala medier "
            "(guidance on marketing in social media)",
            "Konsumentverket (Swedish Consumer Agency)",
        ),
        note="'Reklam' or 'Annons' at the start, in Swedish; hashtags at the end do not count.",
    ),
    DisclosureRule(
        market="NO",
        labels=("reklame", "annonse"),
        start_chars=INSTAGRAM_TRUNCATION,
        hashtag_at_start_accepted=True,
        platform_label_sufficient=True,
        source=Source(
            "Forbrukertilsynets veiledning om merking av reklame i sosiale medier "
            "(guidance on labelling advertising in social media)",
            "Forbrukertilsynet (Norwegian Consumer Authority)",
        ),
        note="'Reklame' or 'Annonse' at the top, before the text is cut off.",
    ),
    DisclosureRule(
        market="GB",
        labels=("ad", "advert", "advertisement", "advertising", "paid partnership"),
        start_chars=INSTAGRAM_TRUNCATION,
        hashtag_at_start_accepted=True,
        platform_label_sufficient=True,
        source=Source(
            "Influencers' guide to making clear that ads are ads",
            "ASA and CAP (Advertising Standards Authority, Committee of Advertising Practice)",
        ),
        note="'#ad' upfront; '#sp', '#spon', '#collab' or 'thanks to' are not labels.",
    ),
    DisclosureRule(
        market="US",
        labels=("ad", "advertisement", "sponsored", "paid partnership"),
        start_chars=INSTAGRAM_TRUNCATION,
        hashtag_at_start_accepted=True,
        # The FTC warns that a platform's built-in disclosure tool may not be good enough on
        # its own; a caption label is still expected.
        platform_label_sufficient=False,
        source=Source(
            "Disclosures 101 for Social Media Influencers",
            "Federal Trade Commission (FTC)",
        ),
        note="Label in the caption, above 'more'; the platform tool alone may not suffice.",
    ),
)

# The UK's ISO code is GB; people write UK.
_ALIASES: Final = {"UK": "GB"}


def rule_for(market: str) -> DisclosureRule:
    code = market.strip().upper()
    code = _ALIASES.get(code, code)
    for rule in RULES:
        if rule.market == code:
            return rule
    known = ", ".join(r.market for r in RULES)
    raise PerfluenceError(
        ErrorCode.INVALID,
        f"no disclosure rule for market {market!r}; rules exist for {known}",
        field="market",
    )


def has_rule(market: str) -> bool:
    code = _ALIASES.get(market.strip().upper(), market.strip().upper())
    return any(r.market == code for r in RULES)


@dataclass(frozen=True, slots=True)
class Finding:
    verdict: Verdict
    market: str
    reason: str

    @property
    def compliant(self) -> bool:
        return self.verdict in COMPLIANT_VERDICTS


@dataclass(frozen=True, slots=True)
class _Hit:
    label: str
    start: int
    end: int
    hashtag: bool


@cache
def _pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    # A label is a whole word, optionally written as a hashtag; inner spaces may be any
    # whitespace or none in the hashtag form (#paidpartnership).
    alternatives = []
    for label in sorted(labels, key=len, reverse=True):
        words = label.split()
        alternatives.append(r"\s*".join(re.escape(w) for w in words))
    return re.compile(
        r"(?<![\w#])(#?)(" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE | re.UNICODE
    )


def _hits(caption: str, rule: DisclosureRule) -> list[_Hit]:
    return [
        _Hit(m.group(2), m.start(), m.end(), bool(m.group(1)))
        for m in _pattern(rule.labels).finditer(caption)
    ]


def check_caption(
    caption: str | None, market: str, *, platform_label: bool | None = None
) -> Finding:
    """The verdict for one post in one market."""
    rule = rule_for(market)
    text = caption or ""
    hits = _hits(text, rule)
    upfront = [
        h
        for h in hits
        if h.end <= rule.start_chars and (not h.hashtag or rule.hashtag_at_start_accepted)
    ]
    if upfront:
        first = upfront[0]
        shown = f"#{first.label}" if first.hashtag else first.label
        return Finding(
            Verdict.COMPLIANT,
            rule.market,
            f"'{shown}' at character {first.start + 1}, within the first {rule.start_chars}",
        )
    if platform_label and rule.platform_label_sufficient:
        return Finding(Verdict.LABEL, rule.market, "the platform's paid-partnership label is on")
    label_note = (
        "; the platform's paid-partnership label alone is not enough here" if platform_label else ""
    )
    if hits and all(h.hashtag for h in hits):
        return Finding(
            Verdict.HASHTAG_ONLY,
            rule.market,
            f"only '#{hits[0].label}' at character {hits[0].start + 1}, after the first "
            f"{rule.start_chars}{label_note}",
        )
    if hits:
        return Finding(
            Verdict.BURIED,
            rule.market,
            f"'{hits[0].label}' at character {hits[0].start + 1}, not within the first "
            f"{rule.start_chars}{label_note}",
        )
    accepted = ", ".join(f"'{label}'" for label in rule.labels)
    return Finding(
        Verdict.MISSING, rule.market, f"no accepted label ({accepted}) in the caption{label_note}"
    )


def worst(findings: Iterable[Finding]) -> Finding | None:
    """The least compliant finding (the one that decides a post checked in several markets)."""
    ranked = sorted(findings, key=lambda f: SEVERITY.index(f.verdict))
    return ranked[0] if ranked else None


def check_markets(
    caption: str | None, markets: Iterable[str], *, platform_label: bool | None = None
) -> list[Finding]:
    """One finding per market that has a rule; markets without one are skipped."""
    seen: dict[str, Finding] = {}
    for market in markets:
        if has_rule(market):
            finding = check_caption(caption, market, platform_label=platform_label)
            seen.setdefault(finding.market, finding)
    return list(seen.values())
