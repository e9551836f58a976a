"""Set-based selects over follow relations for domains that plan over many people at once
(messaging): who can send to whom, and who deleted whom after a moment.

They return `Select`s, not rows, so the caller runs them inside one INSERT … SELECT or join
over a million people; the relation tables stay this domain's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, case, func, select

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation
from siyu.customers.repository import _active_condition

# Any select, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Rows = Select[*tuple[Any, ...]]

OwnerRule = Literal["most_recent", "earliest_added", "primary_owner"]
OWNER_RULES: tuple[str, ...] = ("most_recent", "earliest_added", "primary_owner")


def owner_candidates(scope: DataScope, audience: Rows, *, rule: str) -> Rows:
    """(customer_id, staff_userid, external_userid, rank): the live relations in `scope` of the
    people in `audience` (a select of customer ids), ranked 1 for the one that should send.

    - most_recent: the latest added relation. Siyu sees no chats without the archive, and this
      is the member WeCom itself pushes a task to (D:92135 "最近一次跟客户有互动的成员");
    - earliest_added: the first staff member who added the person;
    - primary_owner: the profile's primary owner if still a friend, else the latest added.
    """
    fr = FollowRelation
    latest = (fr.added_at.desc().nulls_last(), fr.staff_userid)
    if rule == "earliest_added":
        order: tuple[Any, ...] = (fr.added_at.asc().nulls_last(), fr.staff_userid)
    elif rule == "primary_owner":
        primary = (
            select(Customer.primary_staff_userid)
            .where(Customer.id == fr.customer_id)
            .scalar_subquery()
        )
        order = (case((fr.staff_userid == primary, 0), else_=1), *latest)
    else:
        order = latest
    rank = func.row_number().over(partition_by=fr.customer_id, order_by=order)
    return select(
        fr.customer_id.label("customer_id"),
        fr.staff_userid.label("staff_userid"),
        fr.external_userid.label("external_userid"),
        rank.label("rank"),
    ).where(
        scope.condition(corp_column=fr.corp_id, owner_column=fr.staff_userid),
        _active_condition(),
        fr.customer_id.in_(audience),
    )


def no_live_relation(scope: DataScope, customer_id: Any) -> Any:
    """True for a person with no live relation in `scope` (a correlated NOT EXISTS over the
    relation's customer index: one probe per person)."""
    fr = FollowRelation
    return ~(
        select(fr.id)
        .where(
            fr.customer_id == customer_id,
            scope.condition(corp_column=fr.corp_id, owner_column=fr.staff_userid),
            _active_condition(),
        )
        .exists()
    )


def person_status(customer_id: Any) -> Any:
    """The person's status ("lost" once no relation is live) as a correlated scalar: a
    primary-key lookup per row, for the people a plan found no live relation for."""
    return select(Customer.status).where(Customer.id == customer_id).scalar_subquery()


def deleted_by_customer_since(scope: DataScope, since: datetime) -> Rows:
    """(staff_userid, external_userid, deleted_at) of relations the customer ended after
    `since`, inside `scope` (the lost-customer facts, as siyu/lost reports them)."""
    fr = FollowRelation
    return select(
        fr.staff_userid.label("staff_userid"),
        fr.external_userid.label("external_userid"),
        fr.deleted_by_customer_at.label("deleted_at"),
    ).where(
        scope.condition(corp_column=fr.corp_id, owner_column=fr.staff_userid),
        fr.deleted_by_customer_at >= since,
    )
