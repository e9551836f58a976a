"""SQL for the callback handlers and the contact read API, row by row.

The full sync's bulk upserts live in `repository.py`; these are the one-contact-at-a-time reads
and writes a callback needs, and the scoped reads behind the API.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, exists, func, select, true, tuple_
from sqlalchemy.orm import Session

from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation, FollowRelationTag


class ContactQueries:
    def get_by_external_userid(
        self, session: Session, corp_id: uuid.UUID, external_userid: str, *, fresh: bool = False
    ) -> Customer | None:
        """`fresh`: reload the row even if the session holds it (after a Core upsert)."""
        stmt = select(Customer).where(
            Customer.corp_id == corp_id, Customer.external_userid == external_userid
        )
        return session.scalar(stmt.execution_options(populate_existing=fresh))

    def lock(self, session: Session, corp_id: uuid.UUID, external_userid: str) -> None:
        """Hold the contact's row until commit (FOR UPDATE; SQLite's write transactions are
        already exclusive), so two handlers of one contact cannot interleave fetch and write."""
        session.execute(
            select(Customer.id)
            .where(Customer.corp_id == corp_id, Customer.external_userid == external_userid)
            .with_for_update()
        )

    def person_of(self, session: Session, customer: Customer) -> Customer:
        """The person a contact row is now part of: itself, or the survivor it was merged into."""
        if customer.merged_into_id is None:
            return customer
        return session.get(Customer, customer.merged_into_id) or customer

    def relations_of(
        self, session: Session, corp_id: uuid.UUID, external_userid: str, *, fresh: bool = False
    ) -> list[FollowRelation]:
        """The contact's relations, wherever a merge attached them."""
        stmt = select(FollowRelation).where(
            FollowRelation.corp_id == corp_id, FollowRelation.external_userid == external_userid
        )
        stmt = stmt.order_by(FollowRelation.staff_userid)
        return list(session.scalars(stmt.execution_options(populate_existing=fresh)))

    def relations_of_person(self, session: Session, customer_id: uuid.UUID) -> list[FollowRelation]:
        """Every relation attached to the person, merged contacts' included."""
        stmt = select(FollowRelation).where(FollowRelation.customer_id == customer_id)
        return list(session.scalars(stmt.order_by(FollowRelation.staff_userid)))

    def ids_by_external_userid(
        self, session: Session, corp_id: uuid.UUID, external_userids: Sequence[str]
    ) -> dict[str, uuid.UUID]:
        """external_userid → the person holding the contact now (the survivor once merged)."""
        if not external_userids:
            return {}
        person = func.coalesce(Customer.merged_into_id, Customer.id)
        stmt = select(Customer.external_userid, person).where(
            Customer.corp_id == corp_id, Customer.external_userid.in_(list(external_userids))
        )
        return {str(ext): cid for ext, cid in session.execute(stmt)}

    def relation_ids(
        self, session: Session, corp_id: uuid.UUID, pairs: Sequence[tuple[str, str]]
    ) -> list[uuid.UUID]:
        if not pairs:
            return []
        stmt = select(FollowRelation.id).where(
            FollowRelation.corp_id == corp_id,
            tuple_(FollowRelation.staff_userid, FollowRelation.external_userid).in_(list(pairs)),
        )
        return list(session.scalars(stmt))

    def names(self, session: Session, customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not customer_ids:
            return {}
        stmt = select(Customer.id, Customer.name).where(Customer.id.in_(list(set(customer_ids))))
        return {row[0]: row[1] for row in session.execute(stmt)}

    def relation(self, session: Session, relation_id: uuid.UUID) -> FollowRelation | None:
        return session.get(FollowRelation, relation_id)

    def set_relation_tags(
        self, session: Session, relation: FollowRelation, tags: Mapping[str, uuid.UUID]
    ) -> None:
        """Make the normalised links equal to `tags` (WeCom tag id → local tag id)."""
        wanted = set(tags.values())
        current = set(
            session.scalars(
                select(FollowRelationTag.tag_id).where(FollowRelationTag.relation_id == relation.id)
            )
        )
        stale = current - wanted
        if stale:
            session.execute(
                delete(FollowRelationTag).where(
                    FollowRelationTag.relation_id == relation.id,
                    FollowRelationTag.tag_id.in_(list(stale)),
                )
            )
        for tag_id in wanted - current:
            session.add(
                FollowRelationTag(corp_id=relation.corp_id, relation_id=relation.id, tag_id=tag_id)
            )
        session.flush()

    def tag_links(
        self, session: Session, relation_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        if not relation_ids:
            return links
        stmt = select(FollowRelationTag.relation_id, FollowRelationTag.tag_id).where(
            FollowRelationTag.relation_id.in_(list(relation_ids))
        )
        for relation_id, tag_id in session.execute(stmt):
            links[relation_id].append(tag_id)
        return links

    def relations_with_tags(
        self, session: Session, tag_ids: Sequence[uuid.UUID]
    ) -> list[FollowRelation]:
        if not tag_ids:
            return []
        linked = select(FollowRelationTag.relation_id).where(
            FollowRelationTag.tag_id.in_(list(tag_ids))
        )
        return list(session.scalars(select(FollowRelation).where(FollowRelation.id.in_(linked))))

    def unlink_tags(self, session: Session, tag_ids: Sequence[uuid.UUID]) -> None:
        if tag_ids:
            session.execute(
                delete(FollowRelationTag).where(FollowRelationTag.tag_id.in_(list(tag_ids)))
            )

    # -- scoped reads ----------------------------------------------------------------------------
    def _in_scope(self, scope: DataScope) -> Any:
        return self.visible_person(scope, Customer.id)

    def visible_person(self, scope: DataScope, person_column: Any) -> Any:
        """A person is visible when one of its relations is owned by someone in scope; persons
        without relations (imported, not befriended yet) only to members who see everything."""
        if scope.kind is ScopeKind.all:
            return true()
        return exists().where(
            FollowRelation.customer_id == person_column,
            scope.condition(
                corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
            ),
        )

    def get_in_corp(
        self, session: Session, corp_id: uuid.UUID, customer_id: uuid.UUID
    ) -> Customer | None:
        customer = session.get(Customer, customer_id)
        return customer if customer is not None and customer.corp_id == corp_id else None

    def list_scoped(
        self,
        session: Session,
        scope: DataScope,
        *,
        after: uuid.UUID | None,
        limit: int,
        status: str | None = None,
    ) -> list[Customer]:
        stmt = select(Customer).where(
            Customer.corp_id == scope.corp_id,
            Customer.merged_into_id.is_(None),
            self._in_scope(scope),
        )
        if status is not None:
            stmt = stmt.where(Customer.status == status)
        if after is not None:
            stmt = stmt.where(Customer.id < after)
        return list(session.scalars(stmt.order_by(Customer.id.desc()).limit(limit)))

    def get_scoped(
        self, session: Session, scope: DataScope, customer_id: uuid.UUID
    ) -> Customer | None:
        return session.scalar(
            select(Customer).where(
                Customer.id == customer_id,
                Customer.corp_id == scope.corp_id,
                self._in_scope(scope),
            )
        )

    def relations_scoped(
        self, session: Session, scope: DataScope, customer_id: uuid.UUID
    ) -> list[FollowRelation]:
        stmt = select(FollowRelation).where(
            FollowRelation.customer_id == customer_id,
            scope.condition(
                corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
            ),
        )
        return list(session.scalars(stmt.order_by(FollowRelation.staff_userid)))


contacts = ContactQueries()
