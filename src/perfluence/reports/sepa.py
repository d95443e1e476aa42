"""SEPA credit transfer initiation (ISO 20022 ``pain.001.001.03``) for EUR payouts.

The XML is built with ``xml.etree`` in a fixed element order (so the same
payments give the same bytes) and validated against the official XSD that
the ``sepaxml`` package ships before it is returned: a file that a bank
would reject is never handed out. Only EUR can be paid this way.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import xmlschema

from perfluence.core.money import Money, sum_money
from perfluence.errors import ErrorCode, PerfluenceError

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
_BIC = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
# The SEPA character set (EPC guidance): anything else is replaced by a space.
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
# Letters that do not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "ss", "Đ": "D", "đ": "d", "Ł": "L",
     "ł": "l", "Þ": "Th", "þ": "th", "Œ": "OE", "œ": "oe"}
)  # fmt: skip


def normalise_iban(value: str) -> str:
    """Upper case without spaces; refuses a malformed IBAN or a wrong check digit (ISO 13616)."""
    iban = re.sub(r"\s+", "", value or "").upper()
    if not _IBAN.match(iban):
        raise PerfluenceError(ErrorCode.INVALID, f"{value!r} is not an IBAN", field="iban")
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise PerfluenceError(
            ErrorCode.INVALID, f"IBAN {iban} has a wrong check digit", field="iban"
        )
    return iban


def normalise_bic(value: str) -> str:
    bic = (value or "").strip().upper()
    if not _BIC.match(bic):
        raise PerfluenceError(ErrorCode.INVALID, f"{value!r} is not a BIC", field="bic")
    return bic


def sepa_text(text: str, limit: int) -> str:
    """Text in the SEPA character set, cut to ``limit`` characters (never empty)."""
    plain = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    clean = _NOT_SEPA.sub(" ", plain).strip()[:limit].strip()
    return clean or "-"


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    end_to_end_id: str  # at most 35 characters, unique within the file
    creditor: Party
    amount: Money
    remittance: str  # unstructured, at most 140 characters


@cache
def _schema() -> xmlschema.XMLSchema:
    xsd = files("sepaxml").joinpath("schemas", "pain.001.001.03.xsd")
    return xmlschema.XMLSchema(str(xsd))


def validate(xml: bytes) -> None:
    """Raise ``INVALID`` naming the first problem when ``xml`` does not match the XSD."""
    errors = list(_schema().iter_errors(xml.decode("utf-8")))
    if errors:
        raise PerfluenceError(
            ErrorCode.INVALID, f"the SEPA file does not match pain.001.001.03: {errors[0].reason}"
        )


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _agent(parent: ET.Element, tag: str, bic: str | None) -> None:
    fin = _sub(_sub(parent, tag), "FinInstnId")
    if bic:
        _sub(fin, "BIC", bic)
    else:
        # IBAN-only is allowed inside the EEA: the bank derives the BIC.
        _sub(_sub(fin, "Othr"), "Id", "NOTPROVIDED")


def _amount_text(money: Money) -> str:
    return format(money.quantize().amount, "f")


def credit_transfer(
    *,
    message_id: str,
    created_at: datetime,
    execution_date: date,
    debtor: Party,
    transfers: Sequence[Transfer],
) -> bytes:
    """A validated pain.001.001.03 document paying ``transfers`` from ``debtor``'s account."""
    if not transfers:
        raise PerfluenceError(ErrorCode.INVALID, "a SEPA file needs at least one payment")
    for t in transfers:
        if t.amount.currency != "EUR":
            raise PerfluenceError(
                ErrorCode.CURRENCY_MISMATCH,
                f"SEPA credit transfers pay EUR only; {t.end_to_end_id} is in {t.amount.currency}",
            )
        if t.amount.amount <= 0:
            raise PerfluenceError(
                ErrorCode.INVALID, f"{t.end_to_end_id}: only a positive amount can be paid"
            )
    total = sum_money((t.amount for t in transfers), "EUR")
    count = str(len(transfers))
    root = ET.Element("Document", {"xmlns": NAMESPACE})
    init = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(init, "GrpHdr")
    _sub(header, "MsgId", sepa_text(message_id, 35))
    _sub(header, "CreDtTm", created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", _amount_text(total))
    _sub(_sub(header, "InitgPty"), "Nm", sepa_text(debtor.name, 70))
    info = _sub(init, "PmtInf")
    _sub(info, "PmtInfId", sepa_text(message_id, 35))
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "BtchBookg", "true")
    _sub(info, "NbOfTxs", count)
    _sub(info, "CtrlSum", _amount_text(total))
    _sub(_sub(_sub(info, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    _sub(info, "ReqdExctnDt", execution_date.isoformat())
    _sub(_sub(info, "Dbtr"), "Nm", sepa_text(debtor.name, 70))
    _sub(_sub(_sub(info, "DbtrAcct"), "Id"), "IBAN", normalise_iban(debtor.iban))
    _agent(info, "DbtrAgt", None if debtor.bic is None else normalise_bic(debtor.bic))
    _sub(info, "ChrgBr", "SLEV")
    for t in transfers:
        tx = _sub(info, "CdtTrfTxInf")
        _sub(_sub(tx, "PmtId"), "EndToEndId", sepa_text(t.end_to_end_id, 35))
        _sub(_sub(tx, "Amt"), "InstdAmt", _amount_text(t.amount), Ccy="EUR")
        bic = None if t.creditor.bic is None else normalise_bic(t.creditor.bic)
        if bic:
            _agent(tx, "CdtrAgt", bic)
        _sub(_sub(tx, "Cdtr"), "Nm", sepa_text(t.creditor.name, 70))
        _sub(_sub(_sub(tx, "CdtrAcct"), "Id"), "IBAN", normalise_iban(t.creditor.iban))
        _sub(_sub(tx, "RmtInf"), "Ustrd", sepa_text(t.remittance, 140))
    ET.indent(root)
    xml: Any = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    data = bytes(xml) + b"\n"
    validate(data)
    return data
