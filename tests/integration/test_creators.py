from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from perfluence.core.csvrows import CsvImportError
from perfluence.core.kpis import Tier
from perfluence.core.model import Platform
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import creators, workspaces
from perfluence.services.context import Context
from perfluence.services.creator_import import import_creators
from perfluence.store.tables import creators as creators_table
from perfluence.store.tables import social_accounts
from tests.conftest import DATA


@pytest.fixture
def ws(ctx: Context) -> str:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    return "shop"


def _snapshot(ctx: Context) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with ctx.engine.connect() as conn:
        people = [
            tuple(r) for r in conn.execute(select(creators_table).order_by(creators_table.c.id))
        ]
        accounts = [
            tuple(r) for r in conn.execute(select(social_accounts).order_by(social_accounts.c.id))
        ]
    return people, accounts


def test_add_creator_normalises_and_derives_tier(ctx: Context, ws: str) -> None:
    c = creators.add_creator(
        ctx,
        ws,
        " @Emma.Eats ",
        name="Emma Holm",
        email="Emma@Example.DK",
        country="dk",
        accounts=[
            creators.NewAccount("Instagram", followers=48_200),
            creators.NewAccount("tiktok", "@EmmaEats", "120 000", "https://tiktok.com/@emmaeats"),
        ],
    )
    assert (c.handle, c.email, c.country, c.currency) == (
        "emma.eats",
        "Emma@example.dk",
        "DK",
        "DKK",
    )
    assert c.followers == 120_000
    assert c.tier is Tier.MACRO
    assert {(a.platform, a.handle) for a in c.accounts} == {
        (Platform.INSTAGRAM, "emma.eats"),
        (Platform.TIKTOK, "emmaeats"),
    }
    assert creators.get_creator(ctx, ws, "@EMMA.eats") == c


def test_tier_follows_configured_thresholds(ctx: Context, ws: str) -> None:
    creators.add_creator(
        ctx, ws, "nano", name="N", accounts=[creators.NewAccount("x", followers=999)]
    )
    creators.add_creator(
        ctx, ws, "micro", name="M", accounts=[creators.NewAccount("x", followers=1000)]
    )
    creators.add_creator(ctx, ws, "none", name="No accounts")
    tiers = {c.handle: c.tier for c in creators.list_creators(ctx, ws)}
    assert tiers == {"micro": Tier.MICRO, "nano": Tier.NANO, "none": Tier.NANO}
    raised = ctx.settings.model_copy(update={"tier_micro_from": 5000})
    tiers = {c.handle: c.tier for c in creators.list_creators(Context(raised, ctx.engine), ws)}
    assert tiers["micro"] is Tier.NANO


def test_list_filters_by_tier_platform_and_country(ctx: Context, ws: str) -> None:
    creators.add_creator(
        ctx,
        ws,
        "a",
        name="A",
        country="DK",
        accounts=[creators.NewAccount("youtube", followers=2_000_000)],
    )
    creators.add_creator(
        ctx,
        ws,
        "b",
        name="B",
        country="SE",
        accounts=[creators.NewAccount("instagram", followers=5_000)],
    )
    assert [c.handle for c in creators.list_creators(ctx, ws, tier="mega")] == ["a"]
    assert [c.handle for c in creators.list_creators(ctx, ws, platform="instagram")] == ["b"]
    assert [c.handle for c in creators.list_creators(ctx, ws, country="se")] == ["b"]
    assert creators.list_creators(ctx, ws, tier="micro", country="DK") == []
    with pytest.raises(PerfluenceError, match="tier 'giant'"):
        creators.list_creators(ctx, ws, tier="giant")


def test_creators_are_scoped_to_their_workspace(ctx: Context, ws: str) -> None:
    workspaces.create_workspace(ctx, "other", "Other", currency="SEK")
    creators.add_creator(ctx, ws, "emma", name="Emma", accounts=[creators.NewAccount("instagram")])
    # Same handle and account in another workspace: a different creator.
    other = creators.add_creator(
        ctx, "other", "emma", name="Emma", accounts=[creators.NewAccount("instagram")]
    )
    assert other.currency == "SEK"
    assert [c.name for c in creators.list_creators(ctx, "other")] == ["Emma"]
    with pytest.raises(PerfluenceError) as err:
        creators.get_creator(ctx, "other", "nobody")
    assert err.value.code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "emma@"}, "email"),
        ({"country": "XX"}, "country"),
        ({"country": "EU"}, "country"),
        ({"currency": "KRONER"}, "currency"),
        ({"name": " "}, "name"),
    ],
)
def test_add_creator_refuses_bad_fields(
    ctx: Context, ws: str, kwargs: dict[str, str], field: str | None
) -> None:
    args = {"name": "Emma", **kwargs}
    with pytest.raises(PerfluenceError) as err:
        creators.add_creator(ctx, ws, "emma", **args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert creators.list_creators(ctx, ws) == []


def test_bad_account_fields_are_refused(ctx: Context, ws: str) -> None:
    with pytest.raises(PerfluenceError, match="platform 'myspace'"):
        creators.add_creator(ctx, ws, "e", name="E", accounts=[creators.NewAccount("myspace")])
    with pytest.raises(PerfluenceError) as err:
        creators.add_creator(
            ctx, ws, "e", name="E", accounts=[creators.NewAccount("x", followers=-1)]
        )
    assert err.value.field == "followers"
    with pytest.raises(PerfluenceError) as err:
        creators.add_creator(
            ctx,
            ws,
            "e",
            name="E",
            accounts=[creators.NewAccount("x", audience={"age": {"18-24": "0.7", "25-34": "0.4"}})],
        )
    assert err.value.field == "audience"


def test_audience_shares_are_kept_exactly(ctx: Context, ws: str) -> None:
    c = creators.add_creator(
        ctx,
        ws,
        "e",
        name="E",
        accounts=[
            creators.NewAccount("instagram", audience={"country": {"DK": "0.62", "SE": "0.21"}})
        ],
    )
    assert c.accounts[0].audience == {"country": {"DK": Decimal("0.62"), "SE": Decimal("0.21")}}


def test_duplicate_creator_and_account_are_refused_and_first_kept(ctx: Context, ws: str) -> None:
    creators.add_creator(ctx, ws, "emma", name="Emma", accounts=[creators.NewAccount("instagram")])
    with pytest.raises(PerfluenceError) as err:
        creators.add_creator(ctx, ws, "@EMMA", name="Other")
    assert err.value.code is ErrorCode.DUPLICATE
    with pytest.raises(PerfluenceError) as err:
        creators.add_creator(
            ctx, ws, "anna", name="Anna", accounts=[creators.NewAccount("instagram", "emma")]
        )
    assert err.value.code is ErrorCode.DUPLICATE
    assert [c.name for c in creators.list_creators(ctx, ws)] == ["Emma"]


def test_add_account_to_existing_creator(ctx: Context, ws: str) -> None:
    creators.add_creator(ctx, ws, "emma", name="Emma")
    c = creators.add_account(ctx, ws, "emma", creators.NewAccount("twitch", followers=1_500_000))
    assert c.tier is Tier.MEGA
    with pytest.raises(PerfluenceError) as err:
        creators.add_account(ctx, ws, "nobody", creators.NewAccount("twitch"))
    assert err.value.code is ErrorCode.NOT_FOUND


# --- CSV import --------------------------------------------------------------


def test_import_example_file(ctx: Context, ws: str) -> None:
    result = import_creators(ctx, ws, DATA / "creators.csv")
    assert (result.created, result.updated, result.accounts_created) == (4, 0, 4)
    found = {c.handle: c for c in creators.list_creators(ctx, ws)}
    assert set(found) == {"emma.eats", "lars_loeber", "nora.nord", "cafe.critic"}
    emma = found["emma.eats"]
    assert emma.name == "Emma Holm"
    assert emma.currency == "DKK"
    assert {a.platform for a in emma.accounts} == {Platform.INSTAGRAM, Platform.TIKTOK}
    assert found["lars_loeber"].currency == "SEK"
    assert found["lars_loeber"].tier is Tier.MACRO
    assert found["nora.nord"].tier is Tier.NANO
    assert found["cafe.critic"].accounts == ()
    assert found["cafe.critic"].currency == "DKK"  # the workspace default


def test_import_semicolon_file_with_bom(ctx: Context, ws: str) -> None:
    stages: list[tuple[str, int, int]] = []
    result = import_creators(
        ctx, ws, DATA / "creators_semicolon_bom.csv", progress=lambda *a: stages.append(a)
    )
    assert (result.created, result.accounts_created) == (2, 2)
    sofie = creators.get_creator(ctx, ws, "sofie")
    assert sofie.name == "Sofie Ærø"
    assert sofie.followers == 120_000
    assert ("validating", 3, 3) in stages
    assert stages[-1] == ("writing", 2, 2)


def test_import_with_one_bad_row_names_it_and_stores_nothing(ctx: Context, ws: str) -> None:
    creators.add_creator(
        ctx, ws, "existing", name="Existing", accounts=[creators.NewAccount("x", followers=5)]
    )
    before = _snapshot(ctx)
    with pytest.raises(CsvImportError) as err:
        import_creators(ctx, ws, DATA / "creators_one_bad_row.csv")
    assert err.value.code is ErrorCode.IMPORT_FAILED
    assert (err.value.row, err.value.field) == (4, "email")
    assert "row 4, column 'email'" in str(err.value)
    assert "carl-at-example.dk" in str(err.value)
    assert len(err.value.problems) == 1
    assert _snapshot(ctx) == before


def test_import_collects_every_problem_before_refusing(ctx: Context, ws: str) -> None:
    data = (
        b"handle,name,email,country,platform,followers\n"
        b"a,A,a@x.dk,DK,instagram,10\n"
        b"b,,b@,QQ,myspace,-3\n"
        b"a,Other A,,,tiktok,5\n"
        b"c,C,,,instagram,\n"
        b"d,D,,,,12\n"
    )
    with pytest.raises(CsvImportError) as err:
        import_creators(ctx, ws, data, source_name="mixed.csv")
    where = {(p.row, p.column) for p in err.value.problems}
    assert {(3, "email"), (3, "country"), (3, "platform"), (3, "followers")} <= where
    assert (3, "name") in where  # b's first row has no name
    assert (4, "name") in where  # disagrees with row 2
    assert (2, "name") not in where
    assert (6, "followers") in where  # followers without a platform
    assert "mixed.csv" in str(err.value)
    assert creators.list_creators(ctx, ws) == []


def test_import_refuses_duplicates_in_file_and_against_store(ctx: Context, ws: str) -> None:
    creators.add_creator(
        ctx, ws, "emma", name="Emma", accounts=[creators.NewAccount("instagram", "emma")]
    )
    data = (
        b"handle,name,platform,platform_handle\n"
        b"emma,Emma,tiktok,emma\n"
        b"anna,Anna,instagram,emma\n"
        b"bo,Bo,tiktok,bo\n"
        b"carl,Carl,tiktok,bo\n"
    )
    with pytest.raises(CsvImportError) as err:
        import_creators(ctx, ws, data)
    messages = {(p.row, p.column): p.message for p in err.value.problems}
    assert "already exists" in messages[(2, "handle")]
    assert "belongs to another creator" in messages[(3, "platform_handle")]
    assert "already on row 4" in messages[(5, "platform_handle")]
    assert [c.handle for c in creators.list_creators(ctx, ws)] == ["emma"]


def test_import_with_update_updates_existing_creators(ctx: Context, ws: str) -> None:
    creators.add_creator(
        ctx,
        ws,
        "emma",
        name="Emma",
        email="emma@x.dk",
        accounts=[creators.NewAccount("instagram", followers=900)],
    )
    data = (
        b"handle,name,platform,followers\n"
        b"emma,Emma Holm,instagram,1500\n"
        b"emma,,tiktok,200\n"
        b"nils,Nils,,\n"
    )
    result = import_creators(ctx, ws, data, update=True)
    assert (result.created, result.updated, result.accounts_created, result.accounts_updated) == (
        1,
        1,
        1,
        1,
    )
    emma = creators.get_creator(ctx, ws, "emma")
    assert emma.name == "Emma Holm"
    assert emma.email == "emma@x.dk"  # not in the file: kept
    assert {a.platform.value: a.followers for a in emma.accounts} == {
        "instagram": 1500,
        "tiktok": 200,
    }
    assert emma.tier is Tier.MICRO


def test_import_refuses_unknown_columns_and_missing_file(
    ctx: Context, ws: str, tmp_path: Path
) -> None:
    with pytest.raises(CsvImportError, match="unknown column"):
        import_creators(ctx, ws, b"handle,name,shoe_size\na,A,42\n")
    with pytest.raises(PerfluenceError) as err:
        import_creators(ctx, ws, tmp_path / "missing.csv")
    assert err.value.code is ErrorCode.NOT_FOUND


def test_import_of_many_rows_is_one_transaction(ctx: Context, ws: str) -> None:
    lines = ["handle,name,platform,followers"] + [f"c{i},C {i},instagram,{i}" for i in range(1200)]
    result = import_creators(ctx, ws, ("\n".join(lines) + "\n").encode())
    assert result.created == 1200
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(social_accounts)).scalar_one() == 1200
