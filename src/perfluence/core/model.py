"""Domain values: plain frozen dataclasses that services return and shells show.

They are neither table rows nor API schemas (those live in ``store`` and
``web``); they carry exact types (``Money``, ``date``) and no behaviour that
needs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Workspace:
    id: int
    slug: str
    name: str
    default_currency: str
    default_language: str
    fallback_url: str | None
    created_at: datetime
