"""The report as PDF: WeasyPrint prints the report's HTML page (charts stay vector).

Nothing is fetched while printing: the page has no external resource, and the
URL fetcher refuses any that might slip in. WeasyPrint writes the current
time into the PDF's metadata unless told otherwise, so the creation date is
the report's own ``as_of`` day; the PDF is still not promised byte-identical
(font subsetting may differ between WeasyPrint versions): the CSV is the
canonical form.
"""

from __future__ import annotations

from typing import Any

from perfluence.reports.html import render_html
from perfluence.reports.model import Report


def _no_fetching() -> Any:
    """A WeasyPrint URL fetcher that loads nothing: a URL in the page is skipped, not fetched."""
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]  # noqa: PLC0415

    class NoFetching(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            # WeasyPrint logs the refusal and renders the page without the resource.
            raise ValueError(f"the report must not load {url!r}")

    return NoFetching()


def render_pdf(report: Report) -> bytes:
    # Loading Pango takes a while: only when a PDF is asked for.
    from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415

    document = HTML(string=render_html(report), url_fetcher=_no_fetching()).render()
    document.metadata.created = f"{report.as_of.isoformat()}T00:00:00Z"
    document.metadata.modified = document.metadata.created
    pdf: bytes = document.write_pdf()
    return pdf
