"""SQL for duplicates: customers with more than one active follow relation.

One grouped scan of the active relations, keyed by customer id (newest customer first), so
pages continue strictly after the previous page's last customer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation


def _duplicates(scope: DataScope) -> Select[Any]:
    """Customer ids with ≥ 2 active relations, at least one of them inside the scope."""
    in_scope = scope.condition(
        corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
    )
    return (
        select(FollowRelation.customer_id)
        .where(
            FollowRelation.corp_id == scope.corp_id,
            FollowRelation.deleted_by_staff_at.is_(None),
            FollowRelation.deleted_by_customer_at.is_(None),
            FollowRelation.missing_since.is_(None),
        )
        .group_by(FollowRelation.customer_id)
        .having(func.count() > 1, func.sum(case((in_scope, 1), else_=0)) > 0)
    )


class DuplicateRepository:
    def page(
        self, session: Session, scope: DataScope, *, after: uuid.UUID | None, limit: int
    ) -> list[Customer]:
        ids = _duplicates(scope)
        if after is not None:
            ids = ids.where(FollowRelation.customer_id < after)
        ids = ids.order_by(FollowRelation.customer_id.desc()).limit(limit)
        wanted = list(session.scalars(ids))
        if not wanted:
            return []
        rows = session.scalars(select(Customer).where(Customer.id.in_(wanted)))
        return sorted(rows, key=lambda c: c.id, reverse=True)

    def count(self, session: Session, scope: DataScope) -> int:
        return int(
            session.scalar(select(func.count()).select_from(_duplicates(scope).subquery())) or 0
        )

    def active_relations(
        self, session: Session, customer_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[FollowRelation]]:
        result: dict[uuid.UUID, list[FollowRelation]] = defaultdict(list)
        if not customer_ids:
            return result
        stmt = select(FollowRelation).where(
            FollowRelation.customer_id.in_(customer_ids),
            FollowRelation.deleted_by_staff_at.is_(None),
            FollowRelation.deleted_by_customer_at.is_(None),
            FollowRelation.missing_since.is_(None),
        )
        for row in session.scalars(
            stmt.order_by(FollowRelation.added_at, FollowRelation.staff_userid)
        ):
            result[row.customer_id].append(row)
        return result


duplicate_repository = DuplicateRepository()
