"""SEPA credit transfers (pain.001.001.03) for approved EUR statements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib.resources import files

import pytest
import xmlschema

from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports.sepa import Party, Transfer, credit_transfer, normalise_iban, validate
from perfluence.services import payout_exports, payouts
from perfluence.services.context import Context
from tests.integration.payout_world import WS, make_world, partner, record, utc

XSD = files("sepaxml").joinpath("schemas", "pain.001.001.03.xsd")
DEBTOR = {
    "debtor_name": "Shop ApS",
    "debtor_iban": "DK50 0040 0440 1162 43",
    "debtor_bic": "NDEADKKK",
}


@pytest.fixture
def approved(ctx: Context) -> int:
    make_world(ctx)
    pid = partner(ctx, "lea", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(ctx, pid, "sale", Money("1234.50", "EUR"), utc("2026-03-10"))
    made = payouts.create_statement(ctx, WS, "lea", "2026-03-01", "2026-03-31")
    assert made.id is not None
    payouts.approve_statement(ctx, WS, made.id)
    return made.id


def test_export_is_valid_pain_001_against_the_official_schema(ctx: Context, approved: int) -> None:
    payouts.set_bank_details(
        ctx, WS, "lea", "fr14 2004 1010 0505 0001 3M02 606", "psstfrppxxx", None
    )
    xml = payout_exports.export_sepa(ctx, WS, [approved], execution_date=date(2026, 4, 3), **DEBTOR)
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(xml.decode())
    data = schema.to_dict(xml.decode())
    tx = data["CstmrCdtTrfInitn"]["PmtInf"][0]["CdtTrfTxInf"][0]
    assert tx["Amt"]["InstdAmt"]["$"] == Decimal("123.45")
    assert tx["CdtrAcct"]["Id"]["IBAN"] == "FR1420041010050500013M02606"
    assert tx["Cdtr"]["Nm"] == "Lea Martin"  # SEPA character set: é -> e
    assert b"<CtrlSum>123.45</CtrlSum>" in xml
    assert b"<ReqdExctnDt>2026-04-03</ReqdExctnDt>" in xml
    assert xml == payout_exports.export_sepa(
        ctx, WS, [approved], execution_date=date(2026, 4, 3), **DEBTOR
    )


def test_non_eur_statements_are_refused_for_sepa(ctx: Context) -> None:
    make_world(ctx)
    pid = partner(ctx, "bo", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(ctx, pid, "sale", Money("1000.00", "DKK"), utc("2026-03-10"))
    made = payouts.create_statement(ctx, WS, "bo", "2026-03-01", "2026-03-31")
    payouts.approve_statement(ctx, WS, made.id or 0)
    with pytest.raises(PerfluenceError, match="SEPA credit transfers pay EUR only") as err:
        payout_exports.export_sepa(ctx, WS, [made.id or 0], **DEBTOR)
    assert err.value.code is ErrorCode.CURRENCY_MISMATCH


def test_creator_without_iban_is_named(ctx: Context, approved: int) -> None:
    with pytest.raises(PerfluenceError, match="creator 'lea' has no IBAN"):
        payout_exports.export_sepa(ctx, WS, [approved], **DEBTOR)


def test_only_approved_statements_are_paid(ctx: Context) -> None:
    make_world(ctx)
    pid = partner(ctx, "lea", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(ctx, pid, "sale", Money("100.00", "EUR"), utc("2026-03-10"))
    made = payouts.create_statement(ctx, WS, "lea", "2026-03-01", "2026-03-31")
    payouts.set_bank_details(ctx, WS, "lea", "FR1420041010050500013M02606", None, "Léa M.")
    with pytest.raises(PerfluenceError, match="is pending; only approved"):
        payout_exports.export_sepa(ctx, WS, [made.id or 0], **DEBTOR)


@pytest.mark.parametrize("iban", ["FR1420041010050500013M02607", "XX", "DK50 0040 0440 1162 4"])
def test_bad_ibans_are_refused(iban: str) -> None:
    with pytest.raises(PerfluenceError) as err:
        normalise_iban(iban)
    assert err.value.field == "iban"


def test_the_validator_rejects_what_the_schema_rejects() -> None:
    good = credit_transfer(
        message_id="M1",
        created_at=utc("2026-03-02"),
        execution_date=date(2026, 3, 3),
        debtor=Party("Shop", "DK5000400440116243"),
        transfers=[Transfer("E1", Party("Bo", "DK5000400440116243"), Money("1.00", "EUR"), "x")],
    )
    validate(good)
    with pytest.raises(PerfluenceError, match=r"does not match pain\.001\.001\.03"):
        validate(good.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XYZ</PmtMtd>"))
    with pytest.raises(PerfluenceError):
        validate(
            good.replace(b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>SLEV</ChrgBr><ChrgBr>SLEV</ChrgBr>")
        )
