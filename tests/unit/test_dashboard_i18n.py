"""Every dashboard word exists in every language, and templates use only known keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfluence.web.dashboard.i18n import CATALOGS, EN, LANGUAGES, pick_language, translate

TEMPLATES = Path(__file__).parents[2] / "src" / "perfluence" / "web" / "templates"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_in_every_language(lang: str) -> None:
    catalog = CATALOGS[lang]
    assert set(catalog) == set(EN), (set(EN) - set(catalog), set(catalog) - set(EN))
    assert all(value.strip() for value in catalog.values())


def test_translations_are_not_english_copies() -> None:
    for lang in ("da", "sv", "nb"):
        same = {k for k, v in CATALOGS[lang].items() if v == EN[k]}
        # Abbreviations (ROAS, CPA, ...) and a few shared words stay as they are.
        assert len(same) < len(EN) // 4, (lang, sorted(same))


def test_templates_use_only_known_keys() -> None:
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+)'\)", template.read_text()))
    assert used, "no t('...') calls found: the pattern is wrong"
    assert used - set(EN) == set()


@pytest.mark.parametrize(
    ("candidates", "chosen"),
    [(("da",), "da"), (("nb-NO",), "nb"), (("no",), "nb"), (("sv_SE",), "sv"),
     ((None, "fr", "da"), "da"), (("xx",), "en"), ((), "en")],
)  # fmt: skip
def test_pick_language(candidates: tuple[str | None, ...], chosen: str) -> None:
    assert pick_language(*candidates) == chosen


def test_a_missing_key_falls_back_to_english_then_the_key() -> None:
    assert translate("da", "overview") == "Overblik"
    assert translate("zz", "overview") == "Overview"
    assert translate("da", "no_such_key") == "no_such_key"
