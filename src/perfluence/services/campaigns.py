"""Campaigns: goal, dates, budget, markets, brief and exact KPI targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final, TypeVar

from sqlalchemy.exc import IntegrityError

from perfluence.core.attribution import ConflictRule
from perfluence.core.model import Campaign, CampaignGoal, CampaignStatus, TargetMetric
from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import normalise_country
from perfluence.services.workspaces import get_workspace, validate_slug
from perfluence.store import campaigns as repo
from perfluence.store.campaigns import CampaignRow

E = TypeVar("E", CampaignGoal, CampaignStatus, TargetMetric, ConflictRule)

COUNT_METRICS: Final = frozenset(
    {TargetMetric.REACH, TargetMetric.IMPRESSIONS, TargetMetric.CONVERSIONS}
)
RATE_METRICS: Final = frozenset(
    {TargetMetric.ENGAGEMENT_RATE, TargetMetric.CTR, TargetMetric.CONVERSION_RATE}
)
MONEY_METRICS: Final = frozenset(
    {
        TargetMetric.CPC,
        TargetMetric.CPM,
        TargetMetric.CPE,
        TargetMetric.CPA,
        TargetMetric.REVENUE,
        TargetMetric.EMV,
    }
)


MAX_WINDOW_DAYS: Final = 365


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def _enum(kind: type[E], value: object, field: str) -> E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise _invalid(field, f"{field} {value!r} is not one of {choices}") from None


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool | float):
        raise _invalid(field, f"{field} must be a decimal string, not {type(value).__name__}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _invalid(field, f"{field} {value!r} is not a number") from None
    if not number.is_finite():
        raise _invalid(field, f"{field} {value!r} is not a finite number")
    return number


def parse_target_arg(text: str) -> tuple[str, str]:
    """``"roas=4"`` -> ``("roas", "4")`` (the CLI's ``--target`` form)."""
    metric, sep, value = text.partition("=")
    if not sep or not metric.strip() or not value.strip():
        raise _invalid("target", f"target {text!r} must look like metric=value, e.g. roas=4")
    return metric.strip(), value.strip()


def target_value(metric: TargetMetric, raw: object) -> Decimal:
    """Validate one target. Rates are fractions (``2%`` is accepted); ROI is in percent."""
    field = f"target {metric.value}"
    text = str(raw).strip()
    percent = text.endswith("%") and not isinstance(raw, bool | float)
    value = _decimal(text.removesuffix("%") if percent else raw, field)
    if percent and metric not in RATE_METRICS and metric is not TargetMetric.ROI:
        raise _invalid(field, f"{field} is not a percentage")
    if metric in RATE_METRICS:
        value = value / 100 if percent else value
        if not 0 < value <= 1:
            raise _invalid(field, f"{field} must be a fraction above 0 and at most 1 (or a %)")
    elif metric in COUNT_METRICS:
        if value < 0 or value != value.to_integral_value():
            raise _invalid(field, f"{field} must be a whole number >= 0")
        value = value.quantize(Decimal(1))
    elif metric is TargetMetric.ROI:
        if value < -100:
            raise _invalid(field, f"{field} is a percentage and cannot be below -100")
    elif value <= 0:
        raise _invalid(field, f"{field} must be above zero")
    return value


def validate_targets(targets: Mapping[str, object] | Iterable[str]) -> dict[TargetMetric, Decimal]:
    """Targets as a mapping or as ``metric=value`` strings; each metric at most once."""
    pairs = (
        list(targets.items())
        if isinstance(targets, Mapping)
        else [parse_target_arg(t) for t in targets]
    )
    out: dict[TargetMetric, Decimal] = {}
    for name, raw in pairs:
        metric = _enum(TargetMetric, name, "target")
        if metric in out:
            raise _invalid("target", f"target {metric.value} is given twice")
        out[metric] = target_value(metric, raw)
    return out


def _date(value: date | str, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(field, f"{field} {value!r} must be a date (YYYY-MM-DD)") from None


def _window(days: int) -> int:
    if isinstance(days, bool) or not 1 <= days <= MAX_WINDOW_DAYS:
        raise _invalid(
            "attribution_window_days",
            f"the attribution window must be 1 to {MAX_WINDOW_DAYS} days, not {days}",
        )
    return days


def _money(value: Decimal | int | str, currency: str, field: str, *, positive: bool) -> Money:
    money = Money(_decimal(value, field), currency)
    if money.amount < 0 or (positive and money.amount == 0):
        raise _invalid(field, f"{field} must be {'above' if positive else 'at least'} zero")
    if money.quantize() != money:
        raise _invalid(field, f"{field} {value} has more decimals than {currency} allows")
    return money


# Dashboard paths under /w/{ws}/campaigns/ that a campaign's own page would shadow.
RESERVED_CAMPAIGN_SLUGS = frozenset({"new"})


def create_campaign(
    ctx: Context,
    workspace: str,
    slug: str,
    *,
    name: str,
    goal: CampaignGoal | str,
    starts_on: date | str,
    ends_on: date | str,
    budget: Decimal | int | str = 0,
    currency: str | None = None,
    markets: Iterable[str] = (),
    brief: str | None = None,
    targets: Mapping[str, object] | Iterable[str] = (),
    attribution_window_days: int | None = None,
    reference_cpm: Decimal | int | str | None = None,
    status: CampaignStatus | str = CampaignStatus.DRAFT,
    conflict_rule: ConflictRule | str = ConflictRule.CODE_WINS,
) -> Campaign:
    ws = get_workspace(ctx, workspace)
    validate_slug(slug, "campaign")
    if slug in RESERVED_CAMPAIGN_SLUGS:
        raise _invalid("slug", f"campaign slug {slug!r} is reserved (the dashboard uses it)")
    if not name.strip():
        raise _invalid("name", "name is required")
    cur = normalise_currency(currency or ws.default_currency)
    start, end = _date(starts_on, "start"), _date(ends_on, "end")
    if end < start:
        raise _invalid("end", f"the campaign ends ({end}) before it starts ({start})")
    window = _window(attribution_window_days or ctx.settings.attribution_window_days)
    codes = [normalise_country(m, "market") for m in markets]
    row = CampaignRow(
        slug=slug,
        name=name.strip(),
        goal=_enum(CampaignGoal, goal, "goal"),
        status=_enum(CampaignStatus, status, "status"),
        starts_on=start,
        ends_on=end,
        budget=_money(budget, cur, "budget", positive=False),
        markets=tuple(dict.fromkeys(codes)),
        brief=brief.strip() if brief and brief.strip() else None,
        kpi_targets=validate_targets(targets),
        attribution_window_days=window,
        reference_cpm=None
        if reference_cpm is None
        else _money(reference_cpm, cur, "reference_cpm", positive=True),
        conflict_rule=_enum(ConflictRule, conflict_rule, "conflict_rule"),
    )
    try:
        with ctx.engine.begin() as conn:
            if repo.find_campaign(conn, ws.id, slug) is not None:
                raise PerfluenceError(
                    ErrorCode.DUPLICATE, f"campaign {slug!r} already exists", field="slug"
                )
            repo.insert_campaign(conn, ws.id, row, ctx.now())
            found = repo.find_campaign(conn, ws.id, slug)
    except IntegrityError:
        raise PerfluenceError(ErrorCode.DUPLICATE, f"campaign {slug!r} already exists") from None
    assert found is not None
    return found


def get_campaign(ctx: Context, workspace: str, slug: str) -> Campaign:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        found = repo.find_campaign(conn, ws.id, slug)
    if found is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"campaign {slug!r} not found in workspace {workspace!r}"
        )
    return found


def list_campaigns(
    ctx: Context, workspace: str, *, status: CampaignStatus | str | None = None
) -> list[Campaign]:
    """Campaigns, newest start first."""
    ws = get_workspace(ctx, workspace)
    wanted = None if status is None else _enum(CampaignStatus, status, "status")
    with ctx.engine.connect() as conn:
        return repo.list_campaigns(conn, ws.id, wanted)


def set_campaign_status(
    ctx: Context, workspace: str, slug: str, status: CampaignStatus | str
) -> Campaign:
    return update_campaign(ctx, workspace, slug, status=status)


def update_campaign(
    ctx: Context,
    workspace: str,
    slug: str,
    *,
    status: CampaignStatus | str | None = None,
    conflict_rule: ConflictRule | str | None = None,
    attribution_window_days: int | None = None,
) -> Campaign:
    """Change a campaign's status, conflict rule or attribution window (what is given).

    The rule and the window apply to conversions stored from now on; stored
    conversions keep the attribution they got (events are not rewritten).
    """
    ws = get_workspace(ctx, workspace)
    wanted_status = None if status is None else _enum(CampaignStatus, status, "status")
    wanted_rule = (
        None if conflict_rule is None else _enum(ConflictRule, conflict_rule, "conflict_rule")
    )
    window = None if attribution_window_days is None else _window(attribution_window_days)
    with ctx.engine.begin() as conn:
        found = repo.find_campaign(conn, ws.id, slug)
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {slug!r} not found")
        repo.update_settings(
            conn,
            ws.id,
            found.id,
            status=wanted_status,
            conflict_rule=wanted_rule,
            attribution_window_days=window,
        )
        updated = repo.find_campaign(conn, ws.id, slug)
    assert updated is not None
    return updated
