"""Erasing a creator's identifiers: their profile, accounts, posts, codes and links.

Figures stay (followers, post metrics, clicks, conversions, ledger lines,
statements); what names the person goes. Every query is filtered by workspace.
Free text is rewritten only in rows that belong to the creator, except the
attribution reasons, which name a partnership by ``@handle`` and are matched
on that exact token.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, delete, func, select, update

from perfluence.store.tables import (
    conversions,
    costs,
    creators,
    discount_codes,
    partnerships,
    payouts,
    post_comments,
    post_disclosures,
    posts,
    social_accounts,
    tracking_links,
)

ERASED: Final = "[erased]"
FORGOTTEN_NAME: Final = "Forgotten creator"
# Statements in these states are bookkeeping records (a payment was approved or made).
BOOKED_STATES: Final = ("approved", "paid", "carried")


@dataclass(frozen=True, slots=True)
class CreatorIdentity:
    id: int
    handle: str
    name: str
    email: str | None
    account_holder: str | None


def creator_tombstone(creator_id: int) -> str:
    return f"forgotten-{creator_id}"


def find_creator(conn: Connection, workspace_id: int, handle: str) -> CreatorIdentity | None:
    row = conn.execute(
        select(
            creators.c.id,
            creators.c.handle,
            creators.c.name,
            creators.c.email,
            creators.c.account_holder,
        ).where(creators.c.workspace_id == workspace_id, creators.c.handle == handle)
    ).first()
    return None if row is None else CreatorIdentity(int(row[0]), row[1], row[2], row[3], row[4])


def booked_statements(conn: Connection, workspace_id: int, creator_id: int) -> int:
    query = select(func.count()).where(
        payouts.c.workspace_id == workspace_id,
        payouts.c.creator_id == creator_id,
        payouts.c.status.in_(BOOKED_STATES),
    )
    return int(conn.execute(query).scalar_one())


def partnership_ids(conn: Connection, workspace_id: int, creator_id: int) -> list[int]:
    query = select(partnerships.c.id).where(
        partnerships.c.workspace_id == workspace_id, partnerships.c.creator_id == creator_id
    )
    return sorted(int(i) for i in conn.execute(query).scalars())


def mentions(needles: Collection[str]) -> re.Pattern[str] | None:
    """Whole-token, case-insensitive matches of any needle (a handle, a name, an e-mail)."""
    usable = sorted({n for n in needles if n and len(n) >= 3}, key=len, reverse=True)
    if not usable:
        return None
    alternatives = "|".join(re.escape(n) for n in usable)
    return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def scrub(text: str | None, pattern: re.Pattern[str] | None, by: str = ERASED) -> str | None:
    if text is None or pattern is None:
        return text
    return pattern.sub(by, text)


def erase_profile(
    conn: Connection, workspace_id: int, creator: CreatorIdentity, *, keep_payee: bool
) -> None:
    """The creator's row: handle tombstoned, contact and notes gone, payee kept only if booked."""
    values: dict[str, object] = {
        "handle": creator_tombstone(creator.id),
        "email": None,
        "notes": None,
    }
    if not keep_payee:
        values |= {"name": FORGOTTEN_NAME, "iban": None, "bic": None, "account_holder": None}
    conn.execute(
        update(creators)
        .where(creators.c.workspace_id == workspace_id, creators.c.id == creator.id)
        .values(**values)
    )


def unname_accounts(conn: Connection, workspace_id: int, creator_id: int) -> int:
    """Social accounts keep followers and audience shares; handle and URL go."""
    ids = conn.execute(
        select(social_accounts.c.id).where(
            social_accounts.c.workspace_id == workspace_id,
            social_accounts.c.creator_id == creator_id,
        )
    ).scalars()
    count = 0
    for account_id in ids.all():
        conn.execute(
            update(social_accounts)
            .where(social_accounts.c.id == account_id)
            .values(handle=f"forgotten-{account_id}", url=None)
        )
        count += 1
    return count


def unname_posts(conn: Connection, workspace_id: int, creator_id: int) -> list[int]:
    """Posts keep their metrics; the platform id, URL and caption go (with the comments)."""
    ids = sorted(
        int(i)
        for i in conn.execute(
            select(posts.c.id).where(
                posts.c.workspace_id == workspace_id, posts.c.creator_id == creator_id
            )
        ).scalars()
    )
    for post_id in ids:
        conn.execute(
            update(posts)
            .where(posts.c.id == post_id)
            .values(external_id=f"forgotten-{post_id}", url=None, caption=None)
        )
    if ids:
        conn.execute(delete(post_comments).where(post_comments.c.post_id.in_(ids)))
        conn.execute(
            update(post_disclosures)
            .where(post_disclosures.c.post_id.in_(ids))
            .values(reason="erased on request")
        )
    return ids


def retire_codes(
    conn: Connection, workspace_id: int, partnership_ids: Sequence[int]
) -> dict[str, str]:
    """Each code of these partnerships becomes ``FORGOTTEN-<id>``; returns old -> new."""
    if not partnership_ids:
        return {}
    rows = conn.execute(
        select(discount_codes.c.id, discount_codes.c.code).where(
            discount_codes.c.workspace_id == workspace_id,
            discount_codes.c.partnership_id.in_(partnership_ids),
        )
    ).all()
    renamed: dict[str, str] = {}
    for code_id, code in rows:
        new = f"FORGOTTEN-{code_id}"
        conn.execute(
            update(discount_codes)
            .where(discount_codes.c.id == code_id)
            .values(code=new, code_key=new)
        )
        renamed[str(code)] = new
    return renamed


def retire_links(
    conn: Connection,
    workspace_id: int,
    partnership_ids: Sequence[int],
    pattern: re.Pattern[str] | None,
    now: datetime,
) -> int:
    """Links are paused under a tombstone slug; UTM values and URLs lose the creator's names.

    ``updated_at`` moves, so the redirect's link cache drops the old slug at its next refresh.
    """
    if not partnership_ids:
        return 0
    rows = conn.execute(
        select(
            tracking_links.c.id,
            tracking_links.c.utm,
            tracking_links.c.destination_url,
            tracking_links.c.fallback_url,
        ).where(
            tracking_links.c.workspace_id == workspace_id,
            tracking_links.c.partnership_id.in_(partnership_ids),
        )
    ).all()
    for link_id, utm, destination, fallback in rows:
        clean_utm = {
            str(k): scrub(str(v), pattern, "forgotten") for k, v in dict(utm or {}).items()
        }
        conn.execute(
            update(tracking_links)
            .where(tracking_links.c.id == link_id)
            .values(
                slug=f"forgotten-{link_id}",
                status="paused",
                utm=clean_utm,
                destination_url=scrub(destination, pattern, "forgotten"),
                fallback_url=scrub(fallback, pattern, "forgotten"),
                updated_at=now,
            )
        )
    return len(rows)


def end_partnerships(
    conn: Connection,
    workspace_id: int,
    partnership_ids: Sequence[int],
    pattern: re.Pattern[str] | None,
) -> int:
    """Their partnerships end; contract texts and cost descriptions lose the creator's names."""
    if not partnership_ids:
        return 0
    rows = conn.execute(
        select(partnerships.c.id, partnerships.c.exclusivity, partnerships.c.usage_rights).where(
            partnerships.c.workspace_id == workspace_id, partnerships.c.id.in_(partnership_ids)
        )
    ).all()
    for pid, exclusivity, usage in rows:
        conn.execute(
            update(partnerships)
            .where(partnerships.c.id == pid)
            .values(
                status="ended",
                exclusivity=scrub(exclusivity, pattern),
                usage_rights=scrub(usage, pattern),
            )
        )
    described = conn.execute(
        select(costs.c.id, costs.c.description).where(
            costs.c.workspace_id == workspace_id,
            costs.c.partnership_id.in_(partnership_ids),
            costs.c.description.is_not(None),
        )
    ).all()
    for cost_id, text in described:
        conn.execute(
            update(costs).where(costs.c.id == cost_id).values(description=scrub(text, pattern))
        )
    return len(rows)


def rewrite_conversions(
    conn: Connection, workspace_id: int, handle: str, tombstone: str, codes: Mapping[str, str]
) -> int:
    """Conversions name the creator by ``@handle`` in their reason and by code: rename both."""
    handle_token = re.compile(rf"@{re.escape(handle)}(?![\w.-])", re.IGNORECASE)
    by_key = {old.upper(): new for old, new in codes.items()}
    code_token = (
        re.compile(
            rf"(?<![\w-])(?:{'|'.join(re.escape(c) for c in sorted(by_key))})(?![\w-])",
            re.IGNORECASE,
        )
        if by_key
        else None
    )
    wanted = conversions.c.attribution_reason.icontains(f"@{handle}", autoescape=True)
    if by_key:
        wanted = wanted | func.upper(conversions.c.code).in_(sorted(by_key))
    rows = conn.execute(
        select(conversions.c.id, conversions.c.code, conversions.c.attribution_reason).where(
            conversions.c.workspace_id == workspace_id, wanted
        )
    ).all()
    for conversion_id, code, reason in rows:
        text = None if reason is None else handle_token.sub(f"@{tombstone}", reason)
        if text is not None and code_token is not None:
            text = code_token.sub(lambda m: by_key[m.group(0).upper()], text)
        new_code = None if code is None else by_key.get(str(code).upper(), code)
        conn.execute(
            update(conversions)
            .where(conversions.c.id == conversion_id)
            .values(code=new_code, attribution_reason=text)
        )
    return len(rows)
