"""The campaign report on ``tests/data/kpi_small`` in every language and format (both dialects).

The expected figures are the hand-computed ones of ``test_campaign_kpis.py``
(campaign ``spring``, DKK): net revenue 425.00, cost 6,083.00 (anna 2,325 +
bo 1,258 + cecilie 1,000 + an agency fee of 1,500), 5 conversions, so CPA
1,216.60; 12 human clicks, 9 unique, 28,400 impressions; targets CPA 150 and
ROAS 4, both missed.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.analytics.rollups import rebuild_click_rollups
from perfluence.config import Settings, get_settings
from perfluence.core.kpis import NA, Tier
from perfluence.core.model import CampaignGoal, TargetMetric
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports import charts
from perfluence.reports.hashing import report_hash, verify_csv
from perfluence.reports.i18n import CATALOGS, Texts
from perfluence.reports.model import LANGUAGES, Report
from perfluence.reports.tabular import canonical_csv
from perfluence.services import reports
from perfluence.services.context import Context
from tests.integration import kpi_small

NBSP = "\xa0"
# Hand-formatted: total cost, CPA and net revenue, and cecilie's CPA (zero conversions).
FORMATTED = {
    "en": ("DKK6,083.00", "DKK1,216.60", "DKK425.00", "n/a", "February 1, 2026"),
    "da": (
        f"6.083,00{NBSP}kr.",
        f"1.216,60{NBSP}kr.",
        f"425,00{NBSP}kr.",
        "i.t.",
        "1. februar 2026",
    ),
    "sv": (
        f"6{NBSP}083,00{NBSP}Dkr",
        f"1{NBSP}216,60{NBSP}Dkr",
        f"425,00{NBSP}Dkr",
        "e.t.",
        "1 februari 2026",
    ),
    "nb": (
        f"6{NBSP}083,00{NBSP}DKK",
        f"1{NBSP}216,60{NBSP}DKK",
        f"425,00{NBSP}DKK",
        "i.t.",
        "1. februar 2026",
    ),
}


@pytest.fixture
def spring_ctx(ctx: Context) -> Context:
    with ctx.engine.begin() as conn:
        ws = kpi_small.load(conn)
        rebuild_click_rollups(conn, ws)
    return ctx


def build(ctx: Context, lang: str = "en", currency: str | None = None) -> Report:
    return reports.build_campaign_report(ctx, "kpi", "spring", lang=lang, currency=currency)


def csv_cells(data: bytes) -> dict[tuple[str, str, str], tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["section", "item", "metric", "value", "unit"]
    cells = {(s, i, m): (v, u) for s, i, m, v, u in rows[1:]}
    assert len(cells) == len(rows) - 1, "a (section, item, metric) appears twice"
    return cells


# --- the model -------------------------------------------------------------------


def test_model_holds_the_hand_computed_figures(spring_ctx: Context) -> None:
    r = build(spring_ctx)
    assert (r.campaign_slug, r.currency, r.duration_days) == ("spring", "DKK", 28)
    assert r.as_of.isoformat() == "2026-02-28"  # the clock is 2 March; the campaign ended
    t = r.totals
    assert (t.revenue, t.cost) == (Money("425.00", "DKK"), Money("6083.00", "DKK"))
    assert (t.conversions, t.human_clicks, t.unique_clicks, t.impressions) == (5, 12, 9, 28_400)
    assert r.total_ratios.cpa == Money("1216.60", "DKK")
    assert r.budget_used == Decimal("6083.00") / Decimal("20000.00")
    assert [c.handle for c in r.creators] == ["anna", "bo", "cecilie"]
    assert r.campaign_level.cost == Money("1500.00", "DKK")
    assert r.fx.rate is None
    assert r.fx.notes == ("EUR → DKK at 1 EUR = 7.4600 DKK, the ECB reference rate of 2026-02-27",)
    targets = {c.metric: c for c in r.targets}
    assert targets["cpa"].target == Money("150.00", "DKK")
    assert targets["cpa"].met is False
    assert targets["roas"].target == Decimal("4.0")
    assert targets["roas"].actual == Decimal("425.00") / Decimal("6083.00")
    assert targets["roas"].met is False
    tiers = {row.tier: row for row in r.tiers}
    assert set(tiers) == {Tier.NANO, Tier.MICRO, Tier.MEGA}
    assert tiers[Tier.MICRO].figures.cost == Money("2325.00", "DKK")
    assert tiers[Tier.MEGA].ratios.cpa is NA
    funnel = {s.key: s for s in r.funnel}
    assert [s.key for s in r.funnel] == ["impressions", "clicks", "unique_clicks", "conversions"]
    assert funnel["clicks"].rate == Decimal(12) / Decimal(28_400)
    assert funnel["conversions"].rate == Decimal(5) / Decimal(9)
    keys = [f.key for f in r.learnings]
    assert "learning.top_creator" in keys
    assert keys.count("learning.target_missed") == 2


def test_insights_are_in_the_report(spring_ctx: Context) -> None:
    r = build(spring_ctx)
    # Every day of the campaign, zero-filled; the days add up to the totals.
    assert r.days[0].day.isoformat() == "2026-02-01"
    assert len({d.day for d in r.days}) == len(r.days)
    assert sum(d.clicks for d in r.days) == 12
    assert sum(d.unique_clicks for d in r.days) == 9
    assert sum(d.conversions for d in r.days) == 5
    assert sum((d.revenue for d in r.days), Money("0", "DKK")) == Money("425.00", "DKK")
    assert [s.key for s in r.sections] == ["uncertainty", "attribution"]
    lean = reports.build_campaign_report(spring_ctx, "kpi", "spring", lang="en", attribution=False)
    assert [s.key for s in lean.sections] == ["uncertainty"]
    assert lean.totals == r.totals
    uncertainty = r.sections[0]
    assert {row[0]: row[1:3] for row in uncertainty.rows} == {
        "anna": (6, 4),
        "bo": (3, 1),
        "cecilie": (0, 0),
    }
    # Fewer unique clicks than the minimum: every creator is "not enough data yet".
    assert {f.params["creator"] for f in r.recommendations} == {"anna", "bo", "cecilie"}
    assert {f.key for f in r.recommendations} == {"recommendation.not_enough_data"}
    cells = csv_cells(reports.render(r, "csv"))
    assert cells["day", "2026-02-03", "clicks"] == ("4", "")
    assert cells["uncertainty", "1", "creator"][0] in {"anna", "bo", "cecilie"}


def test_report_in_another_currency_converts_at_the_rate_of_the_last_day(
    spring_ctx: Context,
) -> None:
    r = build(spring_ctx, currency="eur")
    assert (r.currency, r.fx.source_currency) == ("EUR", "DKK")
    assert r.fx.rate_date is not None
    assert r.fx.rate_date.isoformat() == "2026-02-27"  # Saturday 28 Feb -> Friday's rate
    assert r.fx.rate == Decimal(1) / Decimal("7.4600")
    anna = r.creators[0]
    assert anna.figures.cost == Money("311.66", "EUR")  # 2,325 / 7.46 = 311.662...
    assert anna.figures.revenue == Money("46.92", "EUR")  # 134.05 gross - 87.13 refunds
    # Totals are the sum of the converted parts: 311.66 + 168.63 + 134.05 + 201.07.
    assert r.totals.cost == Money("815.41", "EUR")
    assert r.budget == Money("2680.97", "EUR")  # 20,000 / 7.46 = 2,680.965...
    assert {c.metric: c.target for c in r.targets}["cpa"] == Money("20.11", "EUR")


def test_unknown_language_currency_and_format_are_refused(spring_ctx: Context) -> None:
    with pytest.raises(PerfluenceError, match="report language 'de'") as err:
        build(spring_ctx, lang="de")
    assert err.value.code is ErrorCode.INVALID
    with pytest.raises(PerfluenceError) as err:
        build(spring_ctx, currency="XXQ")
    assert err.value.code is ErrorCode.UNKNOWN_CURRENCY
    with pytest.raises(PerfluenceError) as err:
        build(spring_ctx, currency="SEK")  # no SEK rates stored
    assert err.value.code is ErrorCode.FX_RATE_MISSING
    assert "'spring' cannot be reported in SEK" in err.value.message
    with pytest.raises(PerfluenceError, match="report format 'doc'"):
        reports.render(build(spring_ctx), "doc")


# --- CSV and the hash ------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_csv_has_the_figures_in_machine_form_whatever_the_language(
    spring_ctx: Context, lang: str
) -> None:
    data = reports.render(build(spring_ctx, lang), "csv")
    cells = csv_cells(data)
    assert cells["meta", "", "language"] == (lang, "")
    assert cells["meta", "", "budget_used"] == ("0.304150", "")
    assert cells["total", "", "revenue"] == ("425.00", "DKK")
    assert cells["total", "", "cost"] == ("6083.00", "DKK")
    assert cells["total", "", "cpa"] == ("1216.60", "DKK")
    assert cells["total", "", "roas"] == ("0.069867", "")  # 425 / 6,083
    assert cells["total", "", "conversions"] == ("5", "")
    assert cells["creator", "anna", "cost"] == ("2325.00", "DKK")
    assert cells["creator", "anna", "conversion_rate"] == ("0.666667", "")  # 4 / 6
    assert cells["creator", "cecilie", "cpa"] == ("NA", "")
    assert cells["creator", "bo", "tier"] == ("nano", "")
    assert cells["campaign_level", "", "cost"] == ("1500.00", "DKK")
    assert cells["target", "cpa", "target"] == ("150.00", "DKK")
    assert cells["target", "cpa", "met"] == ("false", "")
    assert cells["tier", "micro", "revenue"] == ("350.00", "DKK")
    assert cells["funnel", "conversions", "conversion_rate"] == ("0.555556", "")
    assert cells["meta", "", "report_hash"][1] == "sha256"


def test_csv_and_xlsx_are_byte_identical_across_runs(spring_ctx: Context) -> None:
    first, second = build(spring_ctx, "da"), build(spring_ctx, "da")
    assert reports.render(first, "csv") == reports.render(second, "csv")
    assert reports.render(first, "xlsx") == reports.render(second, "xlsx")
    assert first.report_hash == second.report_hash


def test_hash_covers_the_csv_and_the_settings_but_not_itself(spring_ctx: Context) -> None:
    r = build(spring_ctx, "sv")
    data = reports.render(r, "csv")
    body, last = data.rstrip(b"\n").rsplit(b"\n", 1)
    assert hashlib.sha256(body + b"\n").hexdigest() == r.report_hash
    assert last.decode() == f"meta,,report_hash,{r.report_hash},sha256"
    assert verify_csv(data)
    assert not verify_csv(data.replace(b"6083.00", b"6084.00"))
    assert report_hash(r) == hashlib.sha256(canonical_csv(r)).hexdigest()
    hashes = {build(spring_ctx, lang).report_hash for lang in LANGUAGES}
    hashes.add(build(spring_ctx, "sv", currency="EUR").report_hash)
    assert len(hashes) == len(LANGUAGES) + 1  # language and currency are part of it


# --- HTML ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_shows_localised_figures_charts_and_the_hash(spring_ctx: Context, lang: str) -> None:
    r = build(spring_ctx, lang)
    page = reports.render(r, "html").decode("utf-8")
    cost, cpa, revenue, na, first_day = FORMATTED[lang]
    for text in (cost, cpa, revenue, first_day):
        assert text in page, text
    assert f">{na}<" in page  # cecilie's CPA
    t = Texts(lang)
    assert t("chart.creators") in page
    assert page.count("<svg") == 5
    assert f'<span class="report-hash">{r.report_hash}</span>' in page
    # Self-contained: nothing is loaded from anywhere.
    assert not re.search(r"""(src|href)=["']|@import|url\(|<script""", page)


def test_converted_report_states_the_rate_and_its_date(spring_ctx: Context) -> None:
    page = html.unescape(reports.render(build(spring_ctx, "da", currency="EUR"), "html").decode())
    assert "1 DKK = 0,134048 EUR, ECB's referencekurs fra 27. februar 2026" in page
    assert f"815,41{NBSP}€" in page


# --- XLSX ------------------------------------------------------------------------


def read_xlsx(data: bytes) -> dict[str, dict[str, str]]:
    """Cell values by sheet name and reference (shared strings resolved): just enough to test."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        strings = [
            "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
            for si in ET.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", ns)
        ]
        workbook = ET.fromstring(book.read("xl/workbook.xml"))
        sheets: dict[str, dict[str, str]] = {}
        for sheet in workbook.iterfind("m:sheets/m:sheet", ns):
            number = sheet.attrib[rel].removeprefix("rId")
            root = ET.fromstring(book.read(f"xl/worksheets/sheet{number}.xml"))
            cells: dict[str, str] = {}
            for c in root.iterfind(".//m:c", ns):
                v = c.find("m:v", ns)
                if v is None or v.text is None:
                    continue
                cells[c.attrib["r"]] = strings[int(v.text)] if c.get("t") == "s" else v.text
            sheets[sheet.attrib["name"]] = cells
    return sheets


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_holds_the_figures_as_numbers(spring_ctx: Context, lang: str) -> None:
    t = Texts(lang)
    sheets = read_xlsx(reports.render(build(spring_ctx, lang), "xlsx"))
    assert list(sheets) == [
        t("section.summary"),
        t("section.creators"),
        t("section.tiers"),
        t("column.day"),
        t("section.funnel"),
    ]
    creators = sheets[t("section.creators")]
    header = {v: k[:-1] for k, v in creators.items() if k.endswith("1") and len(k) <= 3}
    col = {name: header[t(f"metric.{name}")] for name in ("cost", "revenue", "cpa", "conversions")}
    assert creators["A2"] == "anna"
    assert Decimal(creators[f"{col['cost']}2"]) == Decimal("2325")
    assert Decimal(creators[f"{col['revenue']}2"]) == Decimal("350")
    assert Decimal(creators[f"{col['cpa']}2"]) == Decimal("581.25")
    assert f"{col['cpa']}4" not in creators  # cecilie: not available is an empty cell
    summary = sheets[t("section.summary")]
    labels = {v: k for k, v in summary.items() if k.startswith("A")}
    assert Decimal(summary["B" + labels[t("metric.cost")][1:]]) == Decimal("6083")
    assert Decimal(summary["B" + labels[t("metric.cpa")][1:]]) == Decimal("1216.6")
    assert summary["B" + labels[t("report.hash")][1:]] == build(spring_ctx, lang).report_hash


# --- PDF -------------------------------------------------------------------------


def _poppler() -> None:
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    if os.environ.get("PERFLUENCE_REQUIRE_BROWSER") == "1":
        pytest.fail("pdftoppm/pdftotext (poppler-utils) are required but missing")
    pytest.skip("pdftoppm/pdftotext missing: install poppler-utils to check rendered PDFs")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_pdf_renders_pages_with_the_charts(spring_ctx: Context, lang: str, tmp_path: Path) -> None:
    _poppler()
    r = build(spring_ctx, lang)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(reports.render(r, "pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    t = Texts(lang)
    # The charts' own titles and bar labels are drawn from the SVG into the PDF.
    for title in ("chart.funnel", "chart.tiers", "chart.creators"):
        assert t(title) in text
    assert FORMATTED[lang][0].replace(NBSP, " ") in text.replace(NBSP, " ")
    assert r.report_hash in text.replace("\n", "")  # in every page's footer


# --- CLI -------------------------------------------------------------------------


def test_cli_writes_the_report(
    spring_ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    out = tmp_path / "spring.csv"
    try:
        result = CliRunner().invoke(
            cli.app,
            ["report", "spring", "-w", "kpi", "--format", "csv", "--lang", "nb", "--out", str(out)],
            catch_exceptions=False,
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    # The CLI's clock is the real one: the campaign has ended, so the report is the same.
    assert out.read_bytes() == reports.render(build(spring_ctx, "nb"), "csv")
    assert "report hash" in result.output


# --- catalogs and charts (pure) ---------------------------------------------------


def test_every_language_has_every_key_and_no_other() -> None:
    reference = set(CATALOGS["en"])
    names = {f"tier.{t.value}" for t in Tier} | {f"goal.{g.value}" for g in CampaignGoal}
    names |= {f"metric.{m.value}" for m in TargetMetric}
    assert names <= reference
    for lang in LANGUAGES:
        assert set(CATALOGS[lang]) == reference, lang
        for key, text in CATALOGS[lang].items():
            fields = set(re.findall(r"{(\w+)}", text))
            assert fields == set(re.findall(r"{(\w+)}", CATALOGS["en"][key])), (lang, key)


def test_charts_escape_labels_and_are_deterministic() -> None:
    bars = [charts.Bar("<b>&", 10, "10"), charts.Bar("b", 5, "5"), charts.Bar("c", -1, "-1")]
    svg = charts.bar_chart("T", bars, "none")
    assert svg == charts.bar_chart("T", bars, "none")
    assert "&lt;b&gt;&amp;" in svg
    assert "<b>" not in svg
    assert 'width="0"' in svg  # a negative value is drawn as an empty bar
    line = charts.line_chart("L", ["a", "b"], [charts.Line("x", (0, 3))], "3", "none")
    assert 'points="48,186 624,40"' in line
    assert "none" in charts.line_chart("L", [], [], "0", "none")
