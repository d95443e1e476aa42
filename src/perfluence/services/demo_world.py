"""The demo's cast: campaigns, creators, partnerships, links, codes and posts.

Everything is drawn from one ``random.Random`` in a fixed order, around a
fixed calendar (campaigns in August-October 2026), so a seed always gives the
same world. Amounts are drawn as whole minor units; counts may use float
draws (they are never money).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final

from perfluence.core.kpis import Tier, TierThresholds, tier_for
from perfluence.core.model import Platform
from perfluence.core.money import Money
from perfluence.core.terms import ContractTerms, PaymentModel

DEMO_NOW: Final = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
# The 90 days of traffic: 3 August up to (not including) 1 November 2026.
WINDOW_START: Final = datetime(2026, 8, 3, tzinfo=UTC)
WINDOW_END: Final = datetime(2026, 11, 1, tzinfo=UTC)

M = PaymentModel


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    slug: str
    short: str
    name: str
    goal: str
    currency: str
    markets: tuple[str, ...]
    starts_on: date
    ends_on: date
    budget_minor: int
    targets: dict[str, str]
    reference_cpm_minor: int
    roster: int
    landing: str
    price_minor: tuple[int, int] | None  # sale amounts; None: a leads campaign
    conversion_rate: float  # per unique click
    agency_fee_minor: int
    brief: str


CAMPAIGNS: Final = (
    CampaignPlan(
        "autumn-launch", "al", "Autumn launch", "launch", "DKK", ("DK", "SE", "NO"),
        date(2026, 8, 17), date(2026, 10, 25), 45_000_000,
        {"roas": "2.0", "cpa": "350.00", "ctr": "0.01", "reach": "1500000"},
        6_000, 28, "https://nordlys.example/efteraar", (24_900, 99_900), 0.028, 2_500_000,
        "Launch of the autumn collection across Scandinavia; awareness first, sales welcome.",
    ),
    CampaignPlan(
        "black-week", "bw", "Black Week sales", "sales", "SEK", ("SE",),
        date(2026, 9, 21), date(2026, 10, 31), 60_000_000,
        {"roas": "4.0", "cpa": "250.00", "conversion_rate": "0.02"},
        8_500, 18, "https://nordlys.example/se/black-week", (29_900, 129_900), 0.05, 3_000_000,
        "Early Black Week deals in Sweden: every creator has a code and a link.",
    ),
    CampaignPlan(
        "newsletter-signups", "ns", "Newsletter signups", "leads", "NOK", ("NO",),
        date(2026, 8, 3), date(2026, 9, 30), 15_000_000,
        {"cpa": "120.00", "ctr": "0.012"},
        8_000, 14, "https://nordlys.example/no/nyhetsbrev", None, 0.2, 1_200_000,
        "Grow the Norwegian newsletter: a 10 % welcome code for every signup.",
    ),
)  # fmt: skip

_FIRST: Final = {
    "DK": "Emma Ida Freja Clara Sofie Anna Laura Mathilde Frederik Mads Magnus Oliver Asger "
    "Karoline Nanna Sebastian Signe Lærke Rasmus Søren",
    "SE": "Elsa Alice Maja Ebba Wilma Astrid Saga Linnea Hugo William Liam Elias Oskar Axel "
    "Vera Tove Märta Björn Agnes Sixten",
    "NO": "Nora Ingrid Thea Sara Jakob Emil Filip Henrik Sindre Kari Solveig Håkon Marte Ola "
    "Sigrid Tiril",
}
_LAST: Final = {
    "DK": "Hansen Jensen Nielsen Pedersen Andersen Christensen Larsen Sørensen Rasmussen "
    "Jørgensen Madsen Kristensen",
    "SE": "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Lindqvist Bergström",
    "NO": "Johansen Olsen Berg Haugen Bakken Dahl Solberg Lie Strand Moen Nygård Brekke",
}
_NICHES: Final = ("eats", "styles", "runs", "home", "travels", "beauty", "fit", "daily", "green")
_CURRENCY: Final = {"DK": "DKK", "SE": "SEK", "NO": "NOK"}
DISCLOSURE: Final = {"DK": "Reklame", "SE": "Reklam", "NO": "Annonse"}
_TIER_QUOTA: Final = (Tier.NANO,) * 12 + (Tier.MICRO,) * 30 + (Tier.MACRO,) * 14 + (Tier.MEGA,) * 4
_COUNTRY_QUOTA: Final = ("DK",) * 22 + ("SE",) * 22 + ("NO",) * 16
_FOLLOWERS: Final = {
    Tier.NANO: (300, 990),
    Tier.MICRO: (1_500, 95_000),
    Tier.MACRO: (110_000, 900_000),
    Tier.MEGA: (1_100_000, 2_800_000),
}
# Engagements per follower of one feed post or video, by tier.
ENGAGEMENT_RATE: Final = {Tier.NANO: 0.05, Tier.MICRO: 0.032, Tier.MACRO: 0.018, Tier.MEGA: 0.01}
_REACH_RATE: Final = {
    Tier.NANO: (0.35, 0.6),
    Tier.MICRO: (0.25, 0.45),
    Tier.MACRO: (0.15, 0.3),
    Tier.MEGA: (0.08, 0.18),
}
# Flat fees in whole units of the campaign currency, by tier.
_FEE: Final = {
    Tier.NANO: (1_000, 2_500),
    Tier.MICRO: (3_000, 12_000),
    Tier.MACRO: (10_000, 30_000),
    Tier.MEGA: (40_000, 80_000),
}
_MODELS_BY_TIER: Final = {
    "launch": {
        Tier.MEGA: (M.FLAT_FEE, M.HYBRID),
        Tier.MACRO: (M.HYBRID, M.FLAT_FEE, M.CPS),
        Tier.MICRO: (M.CPS, M.CPC, M.HYBRID, M.GIFTING),
        Tier.NANO: (M.GIFTING, M.CPS),
    },
    "sales": {
        Tier.MEGA: (M.HYBRID, M.FLAT_FEE),
        Tier.MACRO: (M.HYBRID, M.CPS, M.FLAT_FEE),
        Tier.MICRO: (M.CPS, M.CPC, M.CPS, M.HYBRID),
        Tier.NANO: (M.GIFTING, M.CPS),
    },
    "leads": {
        Tier.MEGA: (M.FLAT_FEE, M.HYBRID),
        Tier.MACRO: (M.HYBRID, M.FLAT_FEE, M.CPL),
        Tier.MICRO: (M.CPL, M.CPC, M.CPL, M.HYBRID),
        Tier.NANO: (M.GIFTING, M.CPL),
    },
}
_ASCII: Final = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "ä": "a", "ö": "o", "é": "e"})


@dataclass(frozen=True, slots=True)
class AccountPlan:
    platform: Platform
    handle: str
    followers: int
    audience: dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class CreatorPlan:
    handle: str
    name: str
    first_name: str
    country: str
    accounts: tuple[AccountPlan, ...]
    tier: Tier

    @property
    def currency(self) -> str:
        return _CURRENCY[self.country]

    @property
    def main(self) -> AccountPlan:
        return max(self.accounts, key=lambda a: a.followers)


@dataclass(frozen=True, slots=True)
class PostPlan:
    platform: Platform
    kind: str  # feed | story | video
    external_id: str
    url: str
    published_at: datetime
    caption: str
    impressions: int
    reach: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int


@dataclass(frozen=True, slots=True)
class PartnershipPlan:
    campaign: CampaignPlan
    creator: CreatorPlan
    terms: ContractTerms
    link_slug: str
    code: str
    posts: tuple[PostPlan, ...]


@dataclass(frozen=True, slots=True)
class World:
    creators: tuple[CreatorPlan, ...]
    partnerships: tuple[PartnershipPlan, ...]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return round(math.exp(rng.uniform(math.log(low), math.log(high))))


def _handle(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    f, la = first.lower().translate(_ASCII), last.lower().translate(_ASCII)
    niche = rng.choice(_NICHES)
    handle = rng.choice((f"{f}.{la}", f"{f}{la}", f"{f}_{niche}", f"{f}.{niche}", f"{niche}.{f}"))
    base, n = handle, 2
    while handle in taken:
        handle, n = f"{base}{n}", n + 1
    taken.add(handle)
    return handle


def _audience(rng: random.Random, country: str, platform: Platform) -> dict[str, dict[str, str]]:
    own = rng.randint(60, 85)
    others = [c for c in ("DK", "SE", "NO") if c != country]
    first_other = rng.randint(5, 100 - own - 5)
    young = rng.randint(35, 55) if platform is Platform.TIKTOK else rng.randint(15, 35)
    mid = rng.randint(25, 40)
    older = rng.randint(10, 100 - young - mid)
    female = rng.randint(45, 80)

    def share(percent: int) -> str:
        return f"0.{percent:02d}"

    return {
        "country": {
            country: share(own),
            others[0]: share(first_other),
            others[1]: share(rng.randint(1, 100 - own - first_other)),
        },
        "age": {"18-24": share(young), "25-34": share(mid), "35-44": share(older)},
        "gender": {"female": share(female), "male": share(100 - female - 1)},
    }


def _creators(rng: random.Random, thresholds: TierThresholds) -> tuple[CreatorPlan, ...]:
    tiers = list(_TIER_QUOTA)
    countries = list(_COUNTRY_QUOTA)
    rng.shuffle(tiers)
    rng.shuffle(countries)
    taken: set[str] = set()
    out = []
    for tier, country in zip(tiers, countries, strict=True):
        first = rng.choice(_FIRST[country].split())
        last = rng.choice(_LAST[country].split())
        handle = _handle(rng, first, last, taken)
        platform = rng.choices(
            (Platform.INSTAGRAM, Platform.TIKTOK, Platform.YOUTUBE), weights=(5, 3, 2)
        )[0]
        followers = _log_uniform(rng, *_FOLLOWERS[tier])
        accounts = [AccountPlan(platform, handle, followers, _audience(rng, country, platform))]
        if rng.random() < 0.3:
            second = rng.choice([p for p in (Platform.INSTAGRAM, Platform.TIKTOK) if p != platform])
            smaller = max(100, round(followers * rng.uniform(0.1, 0.6)))
            accounts.append(AccountPlan(second, handle, smaller, _audience(rng, country, second)))
        out.append(
            CreatorPlan(
                handle,
                f"{first} {last}",
                first,
                country,
                tuple(accounts),
                tier_for(followers, thresholds),
            )
        )
    return tuple(out)


def _amount(rng: random.Random, low: int, high: int, currency: str, step: int = 100) -> Money:
    """A whole-``step`` amount in units of ``currency``; SEK and NOK run 1.5x DKK."""
    units = rng.randint(low // step, high // step) * step
    if currency != "DKK":
        units = units * 3 // 2
    return Money(units, currency)


def _terms(rng: random.Random, model: PaymentModel, tier: Tier, c: CampaignPlan) -> ContractTerms:
    cur = c.currency
    commission = Decimal(rng.choice(("0.08", "0.10", "0.12", "0.15", "0.20")))
    cpc = Money.from_minor(rng.randint(150, 400), cur)
    cpl = Money.from_minor(rng.randint(20, 45) * 100, cur)
    low, high = _FEE[tier]
    components: dict[PaymentModel, dict[str, object]] = {
        M.FLAT_FEE: {"flat_fee": _amount(rng, low, high, cur)},
        M.CPC: {"cpc_rate": cpc},
        M.CPL: {"cpl_rate": cpl},
        M.CPS: {"commission_rate": commission},
        M.GIFTING: {"gifting_value": _amount(rng, 500, 3_000, cur)},
        # Hybrid: a smaller fee plus what the goal rewards.
        M.HYBRID: {
            "flat_fee": _amount(rng, low * 2 // 5, high * 2 // 5, cur),
            **({"cpl_rate": cpl} if c.goal == "leads" else {"commission_rate": commission}),
        },
    }
    return ContractTerms(model, cur, **components[model])  # type: ignore[arg-type]


def _models(rng: random.Random, c: CampaignPlan, roster: list[CreatorPlan]) -> list[PaymentModel]:
    """A model per creator, preferred by tier, with every model of the goal present."""
    prefs = _MODELS_BY_TIER[c.goal]
    turn = dict.fromkeys(Tier, 0)
    out = []
    for creator in roster:
        options = prefs[creator.tier]
        out.append(options[turn[creator.tier] % len(options)])
        turn[creator.tier] += 1
    wanted = sorted({m for options in prefs.values() for m in options})
    for model in wanted:
        if model not in out:
            counts = {m: out.count(m) for m in out}
            commonest = max(sorted(counts), key=lambda m: counts[m])
            spots = [i for i, m in enumerate(out) if m is commonest]
            out[rng.choice(spots)] = model
    return out


def _code(creator: CreatorPlan, c: CampaignPlan, taken: set[str]) -> str:
    discount = {"launch": 15, "sales": 20, "leads": 10}[c.goal]
    base = creator.first_name.upper().translate(_ASCII_UPPER) + str(discount)
    code, n = base, 2
    while code in taken:
        code, n = f"{base}{c.short.upper()}{n if n > 2 else ''}", n + 1
    taken.add(code)
    return code


_ASCII_UPPER: Final = str.maketrans({"Æ": "AE", "Ø": "O", "Å": "AA", "Ä": "A", "Ö": "O", "É": "E"})
_CAPTION: Final = {
    "DK": "{d} | Min nye favorit fra Nordlys! Brug koden {code} via linket i bio.",
    "SE": "{d} | Nya favoriter från Nordlys! Använd koden {code}, länk i bio.",
    "NO": "{d} | Nye favoritter fra Nordlys! Bruk koden {code}, lenke i bio.",
}


def _post(
    rng: random.Random,
    creator: CreatorPlan,
    account: AccountPlan,
    kind: str,
    published_at: datetime,
    code: str,
) -> PostPlan:
    tier, followers = creator.tier, account.followers
    reach = followers * rng.uniform(*_REACH_RATE[tier])
    if account.platform is Platform.TIKTOK:
        reach *= rng.uniform(1.0, 2.5)  # the feed shows videos well beyond followers
    impressions = reach * rng.uniform(1.2, 1.7)
    if kind == "story":
        engagement = followers * 0.003 * rng.uniform(0.5, 1.5)
        views = impressions
    else:
        engagement = followers * ENGAGEMENT_RATE[tier] * rng.uniform(0.75, 1.25)
        ratio = (0.3, 0.6) if account.platform is Platform.INSTAGRAM else (0.7, 0.95)
        views = impressions * rng.uniform(*ratio)
    shares_part = 0.1 if account.platform is Platform.TIKTOK else 0.05
    post_id = f"{rng.getrandbits(48):012x}"
    urls = {
        Platform.INSTAGRAM: f"https://www.instagram.com/p/{post_id}/",
        Platform.TIKTOK: f"https://www.tiktok.com/@{account.handle}/video/{int(post_id, 16)}",
        Platform.YOUTUBE: f"https://www.youtube.com/watch?v={post_id}",
    }
    return PostPlan(
        platform=account.platform,
        kind=kind,
        external_id=f"{kind}-{post_id}",
        url=urls.get(account.platform, f"https://example.com/{post_id}"),
        published_at=published_at,
        caption=_CAPTION[creator.country].format(d=DISCLOSURE[creator.country], code=code),
        impressions=round(impressions),
        reach=round(reach),
        views=round(views),
        likes=round(engagement * (0.85 - shares_part)),
        comments=round(engagement * 0.06),
        shares=round(engagement * shares_part),
        saves=round(engagement * 0.04),
    )


def _posts(
    rng: random.Random, creator: CreatorPlan, c: CampaignPlan, code: str
) -> tuple[PostPlan, ...]:
    first = datetime.combine(c.starts_on, datetime.min.time(), UTC) + timedelta(days=2)
    last = min(datetime.combine(c.ends_on, datetime.min.time(), UTC), WINDOW_END) - timedelta(
        days=7
    )
    span_hours = int((last - first).total_seconds() // 3600)
    published = first + timedelta(hours=rng.randint(0, span_hours))
    published = published.replace(hour=rng.randint(15, 19), minute=rng.randint(0, 59))
    account = creator.main
    kind = "feed" if account.platform is Platform.INSTAGRAM else "video"
    posts = [_post(rng, creator, account, kind, published, code)]
    if account.platform is Platform.INSTAGRAM and rng.random() < 0.6:
        story_at = published + timedelta(days=rng.randint(2, 6), hours=rng.randint(-3, 3))
        posts.append(_post(rng, creator, account, "story", story_at, code))
    return tuple(posts)


def plan_world(rng: random.Random, workspace: str, thresholds: TierThresholds) -> World:
    """Creators first, then per campaign its roster, terms, link, code and posts."""
    creators = _creators(rng, thresholds)
    codes: set[str] = set()
    partnerships = []
    for c in CAMPAIGNS:
        eligible = [k for k in creators if k.country in c.markets]
        roster = sorted(rng.sample(eligible, min(c.roster, len(eligible))), key=lambda k: k.handle)
        for creator, model in zip(roster, _models(rng, c, roster), strict=True):
            code = _code(creator, c, codes)
            slug = f"{workspace}-{c.short}-{creator.handle.replace('.', '-').replace('_', '-')}"
            partnerships.append(
                PartnershipPlan(
                    campaign=c,
                    creator=creator,
                    terms=_terms(rng, model, creator.tier, c),
                    link_slug=slug[:64],
                    code=code,
                    posts=_posts(rng, creator, c, code),
                )
            )
    return World(creators, tuple(partnerships))
