"""Comment sentiment by word lists (pure), brand mentions, before vs during a campaign.

A text's score is the sum of the valences (−5..+5) of the words, phrases and
emoji it contains, AFINN style (Finn Årup Nielsen's method): phrases of up
to three words first, then single words. A valence is flipped when one of
the language's negations stands up to three words before it ("ikke god",
"inte bra", "not good") and is not part of an earlier matched phrase;
emoji are never flipped. The polarity is the score's sign.

The word lists are data passed in (``Lexicon``); ``services.sentiment``
loads them: AFINN for Danish and English, small hand-made lists for Swedish
and Norwegian Bokmål. ``docs/sentiment.md`` gives the measured accuracy per
language and what this method cannot see (irony, slang, emoji-only
sarcasm, words outside the list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Final

from perfluence.core.kpis import NA, Ratio
from perfluence.errors import ErrorCode, PerfluenceError

LANGUAGES: Final = ("da", "sv", "nb", "en")
MAX_PHRASE: Final = 3
NEGATION_REACH: Final = 3

Lexicon = Mapping[str, int]

NEGATIONS: Final[Mapping[str, frozenset[str]]] = {
    "da": frozenset({"ikke", "ik", "aldrig", "ingen", "intet"}),
    "sv": frozenset({"inte", "ej", "aldrig", "ingen", "inget", "icke"}),
    "nb": frozenset({"ikke", "ikkje", "aldri", "ingen", "intet"}),
    "en": frozenset(
        [
            "not",
            "no",
            "never",
            "don't",
            "doesn't",
            "didn't",
            "isn't",
            "wasn't",
            "can't",
            "won't",
            "aren't",
            "nothing",
            "dont",
            "doesnt",
            "didnt",
            "isnt",
            "cant",
            "wont",
        ]
    ),
}

# The emoji people use most in comments, with AFINN-style valences; shared by every language.
EMOJI: Final[Mapping[str, int]] = {
    "❤": 3, "😍": 3, "🥰": 3, "😘": 2, "💕": 3, "💖": 3, "💗": 3, "💙": 2, "💚": 2, "💛": 2,
    "😊": 2, "😀": 2, "😃": 2, "😄": 2, "😁": 2, "🤩": 3, "😋": 2, "🙌": 2, "👏": 2, "👍": 2,
    "🔥": 2, "💯": 2, "✨": 1, "🙏": 1, "🥳": 3, "😂": 1, "🤣": 1,
    "😡": -3, "🤬": -4, "😠": -3, "👎": -2, "🤮": -3, "🤢": -2, "😞": -2, "😢": -2, "😭": -2,
    "💩": -3, "🙄": -2, "😒": -2, "😤": -2, "😩": -2, "😖": -2, "💔": -2,
}  # fmt: skip

_TOKEN: Final = re.compile(
    "|".join(re.escape(e) for e in sorted(EMOJI, key=len, reverse=True)) + r"|[\w']+",
    re.UNICODE,
)


class Polarity(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class TextScore:
    score: int
    matched: tuple[str, ...]  # the words, phrases and emoji that counted

    @property
    def polarity(self) -> Polarity:
        if self.score > 0:
            return Polarity.POSITIVE
        if self.score < 0:
            return Polarity.NEGATIVE
        return Polarity.NEUTRAL


def check_language(language: str) -> str:
    code = language.strip().lower()
    # "no" is the country; the written language Bokmål is "nb".
    code = {"no": "nb", "nob": "nb", "dan": "da", "swe": "sv", "eng": "en"}.get(code, code)
    if code not in LANGUAGES:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"language {language!r} is not one of {', '.join(LANGUAGES)}",
            field="language",
        )
    return code


def tokens(text: str) -> list[str]:
    """Lower-cased words (apostrophes kept) and known emoji, in order."""
    return [t.strip("'") or t for t in _TOKEN.findall(text.casefold())]


def score_text(text: str, lexicon: Lexicon, language: str) -> TextScore:
    """The AFINN-style sum of valences with negation; see the module docstring."""
    negations = NEGATIONS[check_language(language)]
    words = tokens(text)
    total = 0
    matched: list[str] = []
    # A negation inside an earlier matched phrase ("virker ikke") has been used up.
    free_from = 0
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            emoji = EMOJI.get(phrase) if size == 1 else None
            value = emoji if emoji is not None else lexicon.get(phrase)
            if value is not None:
                window = words[max(free_from, i - NEGATION_REACH) : i]
                # Emoji carry their own tone: "virker ikke 😡" is not a happy face.
                if emoji is None and any(w in negations for w in window):
                    value = -value
                total += value
                matched.append(phrase)
                i += size
                free_from = i
                break
        else:
            i += 1
    return TextScore(total, tuple(matched))


# --- brand mentions ------------------------------------------------------------------


@cache
def _mention_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):
        words = term.strip().lstrip("@#").split()
        if words:
            # "Kaffe Baren" also matches #kaffebaren and @kaffe_baren.
            alternatives.append(r"[\s_.]*".join(re.escape(w) for w in words))
    if not alternatives:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<![\w@#])[@#]?(?:" + "|".join(alternatives) + r")(?![\w])", re.IGNORECASE)


def count_mentions(text: str, terms: Iterable[str]) -> int:
    """How often any of ``terms`` appears as a word, @handle or #hashtag (case-insensitive)."""
    return len(_mention_pattern(tuple(sorted(set(terms)))).findall(text))


# --- summaries -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentimentSummary:
    comments: int
    positive: int
    negative: int
    neutral: int
    total_score: int

    @property
    def mean_score(self) -> Ratio:
        return NA if self.comments == 0 else Decimal(self.total_score) / self.comments

    @property
    def net(self) -> Ratio:
        """(positive − negative) / comments, from −1 to +1."""
        if self.comments == 0:
            return NA
        return Decimal(self.positive - self.negative) / self.comments


def summarise(scores: Iterable[TextScore]) -> SentimentSummary:
    counts = dict.fromkeys(Polarity, 0)
    total = 0
    n = 0
    for s in scores:
        counts[s.polarity] += 1
        total += s.score
        n += 1
    return SentimentSummary(
        n, counts[Polarity.POSITIVE], counts[Polarity.NEGATIVE], counts[Polarity.NEUTRAL], total
    )


@dataclass(frozen=True, slots=True)
class PeriodComparison:
    before: SentimentSummary
    during: SentimentSummary

    @property
    def net_change(self) -> Ratio:
        before, during = self.before.net, self.during.net
        if isinstance(before, Decimal) and isinstance(during, Decimal):
            return during - before
        return NA


def before_and_during(
    scored: Iterable[tuple[datetime, TextScore]], starts_on: date, ends_on: date
) -> PeriodComparison:
    """Comments before the campaign's first day vs from its first to its last day (UTC)."""
    before: list[TextScore] = []
    during: list[TextScore] = []
    for at, s in scored:
        day = at.date()
        if day < starts_on:
            before.append(s)
        elif day <= ends_on:
            during.append(s)
    return PeriodComparison(summarise(before), summarise(during))


def parse_lexicon(text: str, source: str) -> dict[str, int]:
    """``word<TAB>valence`` lines; ``#`` starts a comment line."""
    out: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        word, _, value = line.rpartition("\t")
        try:
            valence = int(value)
        except ValueError:
            raise PerfluenceError(
                ErrorCode.CONFIGURATION, f"{source} line {number}: {line!r} has no valence"
            ) from None
        if not word.strip() or not -5 <= valence <= 5:
            raise PerfluenceError(
                ErrorCode.CONFIGURATION, f"{source} line {number}: {line!r} is not word<TAB>-5..5"
            )
        out[word.strip().casefold()] = valence
    return out
