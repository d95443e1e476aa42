"""Who each conversion of a campaign credits: the one subquery revenue and counts go through.

Used by the KPI queries (``analytics.campaign_kpis``) and their finer grain
(``analytics.dimensions``), so both read credit the same way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Subquery, exists, literal, select, union_all

from perfluence.store.tables import conversion_credits, conversions, partnerships
from perfluence.store.types import DecimalText

if TYPE_CHECKING:
    from perfluence.analytics.campaign_kpis import CampaignKpiParams


def credited(p: CampaignKpiParams) -> Subquery:
    """Who each conversion credits in the campaign: ``(conversion_id, partnership_id, share,
    amount_minor)``, only rows that credit one of the campaign's partnerships.

    The ``conversion_credits`` rows where a conversion has them (two halves
    under the ``split`` conflict rule, each with its exact part of the
    amount); otherwise its own ``partnership_id`` (for a refund: its sale's)
    with the whole amount and share 1. Either way the parts of a conversion
    sum to its amount. Each branch starts from the campaign's partnerships,
    so the database reads the campaign's rows by index, not the workspace's.
    """
    ships = select(partnerships.c.id).where(
        partnerships.c.workspace_id == p.workspace_id,
        partnerships.c.campaign_id == p.campaign_id,
    )
    sale = conversions.alias("credited_sale")
    has_credits = exists().where(
        conversion_credits.c.workspace_id == p.workspace_id,
        conversion_credits.c.conversion_id == conversions.c.id,
    )
    from_credits = select(
        conversion_credits.c.conversion_id.label("conversion_id"),
        conversion_credits.c.partnership_id.label("partnership_id"),
        conversion_credits.c.share.label("share"),
        conversion_credits.c.amount_minor.label("amount_minor"),
    ).where(
        conversion_credits.c.workspace_id == p.workspace_id,
        conversion_credits.c.partnership_id.in_(ships),
    )
    whole = literal(Decimal(1), DecimalText).label("share")
    # Without credit rows: a sale or lead (or a refund whose sale credits no one) its own...
    own = (
        select(
            conversions.c.id.label("conversion_id"),
            conversions.c.partnership_id.label("partnership_id"),
            whole,
            conversions.c.amount_minor.label("amount_minor"),
        )
        .select_from(conversions.outerjoin(sale, sale.c.id == conversions.c.reverses_id))
        .where(
            conversions.c.partnership_id.in_(ships),
            sale.c.partnership_id.is_(None),
            ~has_credits,
        )
    )
    # ... and a refund whose sale credits someone, that sale's partnership.
    of_sale = (
        select(
            conversions.c.id.label("conversion_id"),
            sale.c.partnership_id.label("partnership_id"),
            whole,
            conversions.c.amount_minor.label("amount_minor"),
        )
        .select_from(conversions.join(sale, sale.c.id == conversions.c.reverses_id))
        .where(
            # Every refund of the workspace by its index (few), rather than every conversion.
            conversions.c.reverses_id.is_not(None),
            sale.c.partnership_id.in_(ships),
            ~has_credits,
        )
    )
    return union_all(from_credits, own, of_sale).subquery("credited")
