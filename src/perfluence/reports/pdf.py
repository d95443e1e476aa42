"""The report as PDF: WeasyPrint prints the report's HTML page (charts stay vector).

Nothing is fetched while printing: the page has no external resource, and the
URL fetcher refuses any that might slip in. WeasyPrint writes the current
time into the PDF's metadata unless told otherwise, so the creation date is
the report's own ``as_of`` day; the PDF is still not promised byte-identical
(font subsetting may differ between WeasyPrint versions): the CSV is the
canonical form.
"""

from __future__ import annotations

from typing import Any, NoReturn

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports.html import render_html
from perfluence.reports.model import Report


def _no_fetching(url: str, *_: Any, **__: Any) -> NoReturn:
    raise PerfluenceError(ErrorCode.INVALID, f"the report must not load {url!r}")


def render_pdf(report: Report) -> bytes:
    # Loading Pango takes a while: only when a PDF is asked for.
    from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415

    document = HTML(string=render_html(report), url_fetcher=_no_fetching).render()
    document.metadata.created = f"{report.as_of.isoformat()}T00:00:00Z"
    document.metadata.modified = document.metadata.created
    pdf: bytes = document.write_pdf()
    return pdf
