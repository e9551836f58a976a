"""Building persons for identity tests without the sandbox: contacts through the same
`apply_follows` the sync uses, other sources through the resolver."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from siyu.corps.models import Corp
from siyu.customers.models import Customer, FollowRelation
from siyu.db.session import Database
from siyu.identity.models import CustomerIdentity, IdentityConflict, IdentityMerge
from siyu.identity.resolver import Claim, Outcome, Record
from siyu.identity.service import identity_service
from siyu.kit.clock import utcnow
from siyu.sync.apply import apply_follows


def contact(
    db: Database, corp: Corp, external_userid: str, *, staff: str = "alice", unionid: str = ""
) -> uuid.UUID:
    """A WeCom contact befriended by `staff`; returns the person it belongs to."""
    with db.transaction() as session:
        applied = apply_follows(
            session,
            corp.id,
            [
                (
                    {
                        "external_userid": external_userid,
                        "name": external_userid,
                        "unionid": unionid,
                    },
                    {"userid": staff, "createtime": 1_700_000_000},
                )
            ],
            tag_ids={},
            now=utcnow(),
        )
        return applied.customer_ids[external_userid]


def claims(*pairs: tuple[str, str] | tuple[str, str, bool]) -> list[Claim]:
    result = []
    for pair in pairs:
        kind, value = pair[0], pair[1]
        verified = pair[2] if len(pair) > 2 else True  # type: ignore[misc]
        namespace = "wxapp" if kind == "openid" else ""
        result.append(Claim(kind, value, namespace, bool(verified), "test"))
    return result


def resolve(db: Database, corp: Corp, *records: Sequence[Claim], name: str = "") -> Outcome:
    with db.transaction() as session:
        return identity_service.resolve(
            session,
            corp_id=corp.id,
            records=[Record(ref=i, claims=list(c), name=name) for i, c in enumerate(records, 1)],
        )


def person_of(db: Database, corp: Corp, kind: str, value: str) -> uuid.UUID | None:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.corp_id == corp.id,
                CustomerIdentity.kind == kind,
                CustomerIdentity.value == value,
            )
        )


def snapshot(db: Database, corp: Corp) -> dict[str, object]:
    """Who holds what: identities, relations and merge pointers (for undo exactness)."""
    with db.transaction(write=False) as session:
        return {
            "identities": sorted(
                (i.kind, i.value, str(i.customer_id))
                for i in session.scalars(
                    select(CustomerIdentity).where(CustomerIdentity.corp_id == corp.id)
                )
            ),
            "relations": sorted(
                (r.external_userid, r.staff_userid, str(r.customer_id))
                for r in session.scalars(
                    select(FollowRelation).where(FollowRelation.corp_id == corp.id)
                )
            ),
            "merged": sorted(
                (str(c.id), str(c.merged_into_id))
                for c in session.scalars(select(Customer).where(Customer.corp_id == corp.id))
            ),
        }


def merges(db: Database, corp: Corp) -> list[IdentityMerge]:
    with db.transaction(write=False) as session:
        stmt = select(IdentityMerge).where(IdentityMerge.corp_id == corp.id)
        return list(session.scalars(stmt.order_by(IdentityMerge.id)))


def open_conflicts(db: Database, corp: Corp) -> list[IdentityConflict]:
    with db.transaction(write=False) as session:
        stmt = select(IdentityConflict).where(
            IdentityConflict.corp_id == corp.id, IdentityConflict.status == "open"
        )
        return list(session.scalars(stmt))
