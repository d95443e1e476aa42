"""Templates and number formatting for the dashboard and the portal.

Numbers go through ``core.formatting`` in the page's language, so a Danish page
shows ``1.234,50 kr.`` and ``3,5 %``; templates never format a number themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from urllib.parse import quote, unquote

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from perfluence.core.formatting import (
    format_money_or_na,
    format_number,
    format_percent,
    format_ratio_percent,
    not_available_text,
)
from perfluence.core.kpis import NotAvailable
from perfluence.core.money import Money
from perfluence.web.dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, translate

FLASH_COOKIE: Final = "pf_flash"

_env = Environment(
    loader=PackageLoader("perfluence.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class Formats:
    """Formatting in one language, handed to templates as ``fmt``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def money(self, value: Money | NotAvailable | None) -> str:
        return "–" if value is None else format_money_or_na(value, self.lang)

    def num(self, value: int | Decimal | NotAvailable | None, digits: int | None = None) -> str:
        if value is None:
            return "–"
        if isinstance(value, NotAvailable):
            return not_available_text(self.lang)
        return format_number(value, self.lang, digits)

    def pct(self, value: Decimal | NotAvailable | None, digits: int = 1) -> str:
        return "–" if value is None else format_ratio_percent(value, self.lang, digits)

    def percent(self, value: Decimal | NotAvailable | None, digits: int = 1) -> str:
        """A value already in percent (ROI): ``300`` -> ``300.0%``."""
        return "–" if value is None else format_percent(value, self.lang, digits)

    def times(self, value: Decimal | NotAvailable | None) -> str:
        """A multiple such as ROAS: ``4.2×``."""
        if value is None or isinstance(value, NotAvailable):
            return self.num(value)
        return f"{format_number(value, self.lang, 2)}×"

    def day(self, value: date | None) -> str:
        return "–" if value is None else str(format_date(value, "medium", locale=self.lang))

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "–"
        return str(format_datetime(value, "short", tzinfo=value.tzinfo, locale=self.lang))


def render(
    request: Request,
    template: str,
    context: Mapping[str, object],
    *,
    lang: str,
    status: int = 200,
) -> HTMLResponse:
    raw_flash = request.cookies.get(FLASH_COOKIE)
    notice = None if raw_flash is None else unquote(raw_flash)
    html = _env.get_template(template).render(
        {
            **context,
            "request": request,
            "lang": lang,
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "t": lambda key: translate(lang, key),
            "fmt": Formats(lang),
            "flash": notice,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        }
    )
    response = HTMLResponse(html, status_code=status)
    # Pages are personal: never cached by a shared proxy, never framed by another site.
    response.headers["cache-control"] = "no-store"
    response.headers["x-frame-options"] = "DENY"
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "same-origin"
    response.headers["content-security-policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        # Bar widths are inline custom properties (style="--w: 40%"); nothing else is inline.
        "style-src-attr 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )
    if notice is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def flash(response: Response, message: str) -> None:
    """Show ``message`` once, on the next page rendered."""
    response.set_cookie(
        FLASH_COOKIE, quote(message[:300]), max_age=60, httponly=True, samesite="lax"
    )
