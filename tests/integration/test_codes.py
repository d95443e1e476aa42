"""Discount codes on both dialects: uniqueness ignoring case, patterns, CSV import."""

from __future__ import annotations

from pathlib import Path
from random import Random

import pytest

from perfluence.core.codes import generate_code
from perfluence.core.csvrows import CsvImportError
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import codes
from perfluence.services.context import Context
from perfluence.services.workspaces import get_workspace
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)


@pytest.fixture
def world(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe")
        emma = make_creator(conn, ws, "emma.eats")
        noah = make_creator(conn, ws, "noah")
        make_creator(conn, ws, "olga")
        summer = make_campaign(conn, ws, "summer")
        winter = make_campaign(conn, ws, "winter")
        make_partnership(conn, ws, summer, emma)
        make_partnership(conn, ws, winter, emma)
        make_partnership(conn, ws, summer, noah)
        other = make_workspace(conn, "other")
        make_partnership(
            conn, other, make_campaign(conn, other, "summer"), make_creator(conn, other, "emma")
        )


def test_a_typed_code(ctx: Context, world: None) -> None:
    code = codes.create_code(
        ctx, "kaffe", "summer", "@Emma.Eats", code=" Emma15 ", description="15 % off"
    )
    assert (code.code, code.code_key, code.description) == ("Emma15", "EMMA15", "15 % off")
    assert (code.campaign_slug, code.creator_handle) == ("summer", "emma.eats")
    assert code.created_at == ctx.now()


def test_codes_are_unique_per_workspace_ignoring_case(ctx: Context, world: None) -> None:
    codes.create_code(ctx, "kaffe", "summer", "emma.eats", code="EMMA15")
    with pytest.raises(PerfluenceError) as info:
        codes.create_code(ctx, "kaffe", "winter", "emma.eats", code="emma15")
    assert (info.value.code, info.value.field) == (ErrorCode.DUPLICATE, "code")
    # Another workspace may use the same code.
    assert codes.create_code(ctx, "other", "summer", "emma", code="Emma15").code == "Emma15"


def test_find_code_ignores_case_and_stays_in_its_workspace(ctx: Context, world: None) -> None:
    ours = codes.create_code(ctx, "kaffe", "summer", "noah", code="NOAH10")
    kaffe = get_workspace(ctx, "kaffe").id
    other = get_workspace(ctx, "other").id
    assert codes.find_code(ctx, kaffe, " noah10 ") == ours
    assert codes.find_code(ctx, other, "NOAH10") is None
    assert codes.find_code(ctx, kaffe, "") is None
    assert codes.get_code(ctx, "kaffe", "Noah10") == ours
    with pytest.raises(PerfluenceError) as info:
        codes.get_code(ctx, "other", "NOAH10")
    assert info.value.code is ErrorCode.NOT_FOUND


def test_patterns_use_the_handle_and_draw_again_when_taken(ctx: Context, world: None) -> None:
    fixed = codes.create_code(ctx, "kaffe", "summer", "emma.eats", pattern="{HANDLE}15")
    assert fixed.code == "EMMAEATS15"
    with pytest.raises(PerfluenceError) as info:
        codes.create_code(ctx, "kaffe", "winter", "emma.eats", pattern="{handle}15")
    assert info.value.code is ErrorCode.DUPLICATE
    drawn = generate_code("{HANDLE}-{RAND4}", "emma.eats", Random(3))
    first = codes.create_code(
        ctx, "kaffe", "summer", "emma.eats", pattern="{HANDLE}-{RAND4}", rng=Random(3)
    )
    again = codes.create_code(
        ctx, "kaffe", "winter", "emma.eats", pattern="{HANDLE}-{RAND4}", rng=Random(3)
    )
    assert first.code == drawn
    assert again.code != drawn
    assert again.code.startswith("EMMAEATS-")
    default = codes.create_code(ctx, "kaffe", "summer", "noah")
    assert default.code.startswith("NOAH-")
    assert len(default.code) == len("NOAH-") + 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "a b"}, "code"),
        ({"code": "xy"}, "code"),
        ({"code": "EMMA15", "pattern": "{HANDLE}"}, "code"),
        ({"pattern": "{NAME}15"}, "pattern"),
        ({"pattern": "{HANDLE} 15"}, "pattern"),
        ({"description": "x" * 501}, "description"),
    ],
)
def test_bad_codes_are_refused(
    ctx: Context, world: None, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(PerfluenceError) as info:
        codes.create_code(ctx, "kaffe", "summer", "noah", **kwargs)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (ErrorCode.INVALID, field)
    assert codes.list_codes(ctx, "kaffe") == []


def test_unknown_partnership(ctx: Context, world: None) -> None:
    with pytest.raises(PerfluenceError) as info:
        codes.create_code(ctx, "kaffe", "winter", "olga", code="OLGA10")
    assert (info.value.code, info.value.field) == (ErrorCode.NOT_FOUND, "creator")


def test_listing_filters(ctx: Context, world: None) -> None:
    codes.create_code(ctx, "kaffe", "summer", "noah", code="NOAH10")
    codes.create_code(ctx, "kaffe", "summer", "emma.eats", code="EMMA10")
    codes.create_code(ctx, "kaffe", "winter", "emma.eats", code="EMMAWINTER")
    codes.create_code(ctx, "other", "summer", "emma", code="OTHER10")
    assert [c.code for c in codes.list_codes(ctx, "kaffe")] == ["EMMA10", "NOAH10", "EMMAWINTER"]
    assert [c.code for c in codes.list_codes(ctx, "kaffe", campaign="winter")] == ["EMMAWINTER"]
    assert [c.code for c in codes.list_codes(ctx, "kaffe", creator="noah")] == ["NOAH10"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_all_rows(ctx: Context, world: None, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "code;campaign;creator;description\n"
        "EMMA15;summer;@emma.eats;15 % sommer\n"
        "\n"
        "noah15;summer;noah;\n"
        "EmmaVinter;winter;Emma.Eats;vinter\n",
    )
    seen: list[tuple[str, int, int]] = []
    result = codes.import_codes(ctx, "kaffe", path, progress=lambda *a: seen.append(a))
    assert result.created == 3
    listed = {c.code: (c.campaign_slug, c.creator_handle, c.description) for c in
              codes.list_codes(ctx, "kaffe")}  # fmt: skip
    assert listed == {
        "EMMA15": ("summer", "emma.eats", "15 % sommer"),
        "noah15": ("summer", "noah", None),
        "EmmaVinter": ("winter", "emma.eats", "vinter"),
    }
    assert seen[-1] == ("writing", 3, 3)


def test_import_refuses_the_whole_file_naming_every_problem(
    ctx: Context, world: None, tmp_path: Path
) -> None:
    codes.create_code(ctx, "kaffe", "summer", "noah", code="TAKEN")
    path = _write(
        tmp_path,
        "code,campaign,creator\n"
        "GOOD1,summer,noah\n"  # row 2: fine on its own
        "taken,summer,noah\n"  # row 3: exists (other case)
        "DUP,summer,noah\n"  # row 4
        "dup,winter,emma.eats\n"  # row 5: same as row 4
        "X,summer,noah\n"  # row 6: too short
        "OK2,autumn,noah\n"  # row 7: unknown campaign
        "OK3,summer,zoe\n"  # row 8: unknown creator
        "OK4,winter,olga\n"  # row 9: not in the campaign
        "OK5,,noah\n",  # row 10: no campaign
    )
    with pytest.raises(CsvImportError) as info:
        codes.import_codes(ctx, "kaffe", path)
    where = {(p.row, p.column) for p in info.value.problems}
    assert where == {
        (3, "code"),
        (5, "code"),
        (6, "code"),
        (7, "campaign"),
        (8, "creator"),
        (9, "creator"),
        (10, "campaign"),
    }
    assert info.value.code is ErrorCode.IMPORT_FAILED
    assert "same code as row 4" in str(info.value)
    assert [c.code for c in codes.list_codes(ctx, "kaffe")] == ["TAKEN"]


def test_import_refuses_unknown_columns(ctx: Context, world: None, tmp_path: Path) -> None:
    path = _write(tmp_path, "code,campaign,creator,discount\nA15,summer,noah,15\n")
    with pytest.raises(CsvImportError) as info:
        codes.import_codes(ctx, "kaffe", path)
    assert "discount" in str(info.value)
    assert codes.list_codes(ctx, "kaffe") == []
