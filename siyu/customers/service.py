"""Customer-contact rules: keeping contacts and follow relations equal to WeCom, and reading them.

Callbacks only say *that* something changed; the handlers re-fetch `externalcontact/get` and
call `sync_contact`, which makes the customer and every one of its relations equal to WeCom's
answer. The re-fetch happens when the handler runs, not when the event happened, so a late or
duplicated callback cannot put back an older state; and a fetch that reaches the database after
a newer one is dropped (`fetched_at`). Only two facts exist nowhere but in callbacks, and they
are applied with a guard: who deleted whom (`mark_deleted_by_staff`,
`mark_deleted_by_customer`), and only when the event is not older than the relation WeCom
holds now.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation
from siyu.customers.queries import contacts
from siyu.customers.repository import customers
from siyu.customers.schemas import FollowRelation as FollowRelationOut
from siyu.customers.schemas import RelationTag
from siyu.kit.errors import NotFound
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.sync.apply import apply_contact

ACTIVE = "active"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOST = "lost"

# Resolves WeCom tag ids to local tag ids (fetching unknown corp tags); given by the caller so
# this domain does not reach into the tags tables.
TagResolver = Callable[[Sequence[str]], dict[str, uuid.UUID]]


@dataclass
class ContactSnapshot:
    """`externalcontact/get` for one contact, every follow_user page joined."""

    contact: dict[str, Any]
    follow_users: list[dict[str, Any]]


@dataclass
class TagDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class ContactSync:
    """What `sync_contact` changed, for the domain events the caller emits."""

    customer: Customer | None
    relations: dict[str, FollowRelation] = field(default_factory=dict)  # staff userid → row
    tag_diffs: dict[str, TagDiff] = field(default_factory=dict)
    changed_relations: set[str] = field(default_factory=set)
    ended_relations: set[str] = field(default_factory=set)


def from_timestamp(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def _fields(relation: FollowRelation) -> tuple[Any, ...]:
    """What a change of the relation means to people (not bookkeeping like synced_at)."""
    return (
        relation.remark,
        relation.description,
        relation.remark_corp_name,
        list(relation.remark_mobiles or []),
        relation.state,
        relation.added_at,
        relation.deleted_by_staff_at,
    )


def follow_tag_ids(follow_user: dict[str, Any]) -> list[str]:
    """The relation's tag ids as WeCom lists them (detailed `tags` or batch-style `tag_id`)."""
    if "tag_id" in follow_user and isinstance(follow_user["tag_id"], list):
        return [str(t) for t in follow_user["tag_id"]]
    ids = []
    for tag in follow_user.get("tags") or []:
        if isinstance(tag, dict) and tag.get("tag_id"):
            ids.append(str(tag["tag_id"]))
    return list(dict.fromkeys(ids))


def _newest_fetch(relations: Iterable[FollowRelation]) -> datetime:
    """The latest `fetched_at` among the relations (the epoch when none was fetched)."""
    return max((r.fetched_at for r in relations if r.fetched_at is not None), default=_EPOCH)


class CustomerService:
    # -- writes from WeCom ---------------------------------------------------------------------
    def lock_contact(self, session: Session, *, corp_id: uuid.UUID, external_userid: str) -> None:
        """Call before re-fetching: the fetch and the write then happen under one lock, so an
        older answer can never be written after a newer one."""
        contacts.lock(session, corp_id, external_userid)

    def sync_contact(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        external_userid: str,
        snapshot: ContactSnapshot | None,
        at: datetime,
        resolve_tags: TagResolver,
        fetched_at: datetime | None = None,
    ) -> ContactSync:
        """Make the contact and all its relations what WeCom answered at `fetched_at`.

        The rows are written by `siyu.sync.apply.apply_contact`, exactly as the full sync
        writes them; on top of it come what only a callback can conclude: a relation WeCom no
        longer lists was ended by the staff side, and what changed (for domain events).
        `snapshot=None` means WeCom holds no relation with this contact any more (84061).

        The snapshot is fetched before the caller's transaction (siyu/customers/refetch.py),
        so another handler may have written a newer one meanwhile: when any of the contact's
        relations mirrors a fetch later than `fetched_at`, this one is stale and writes
        nothing (the result then holds the relations as they are, with no changes). The
        caller must hold `lock_contact`, so the comparison and the write cannot interleave.
        """
        customer = contacts.get_by_external_userid(session, corp_id, external_userid)
        before = (
            {r.staff_userid: r for r in contacts.relations_of(session, corp_id, external_userid)}
            if (customer is not None)
            else {}
        )
        if fetched_at is not None and _newest_fetch(before.values()) > fetched_at:
            stale = ContactSync(
                customer=contacts.person_of(session, customer) if customer else None
            )
            stale.relations = dict(before)
            return stale
        old_tags = {u: list(r.wecom_tag_ids or []) for u, r in before.items()}
        old_fields = {u: _fields(r) for u, r in before.items()}
        result = ContactSync(customer=customer)
        if snapshot is not None:
            wanted = list(
                dict.fromkeys(t for f in snapshot.follow_users for t in follow_tag_ids(f))
            )
            apply_contact(
                session,
                corp_id,
                snapshot.contact,
                snapshot.follow_users,
                tag_ids=resolve_tags(wanted) if wanted else {},
                now=at,
            )
            customer = contacts.get_by_external_userid(
                session, corp_id, external_userid, fresh=True
            )
        if customer is None:
            return result
        # Events and status concern the person, who may hold other contacts' relations too.
        person = contacts.person_of(session, customer)
        result.customer = person
        listed = {str(f.get("userid")) for f in snapshot.follow_users} if snapshot else set()
        relations = contacts.relations_of(
            session, corp_id, external_userid, fresh=snapshot is not None
        )
        for relation in relations:
            userid = relation.staff_userid
            result.relations[userid] = relation
            if fetched_at is not None:
                relation.fetched_at = fetched_at
            if userid not in listed:
                if relation.deleted_by_staff_at is None:
                    relation.deleted_by_staff_at = at
                    result.ended_relations.add(userid)
                continue
            new_tags = list(relation.wecom_tag_ids or [])
            old = old_tags.get(userid, [])
            if new_tags != old:
                result.tag_diffs[userid] = TagDiff(
                    added=[t for t in new_tags if t not in old],
                    removed=[t for t in old if t not in new_tags],
                )
            if old_fields.get(userid) != _fields(relation):
                result.changed_relations.add(userid)
        self._refresh_status(session, person)
        return result

    def mark_deleted_by_staff(
        self, sync: ContactSync, *, staff_userid: str, at: datetime, source: str | None
    ) -> bool:
        """Note who ended it (`Source`, e.g. DELETE_BY_TRANSFER) on a relation WeCom no longer
        returns. A relation WeCom still returns was re-added after this event: leave it."""
        relation = sync.relations.get(staff_userid)
        if relation is None or relation.deleted_by_staff_at is None:
            return False
        if relation.added_at is not None and relation.added_at > at:
            return False
        relation.deleted_by_staff_at = min(relation.deleted_by_staff_at, at)
        if source:
            relation.delete_source = source
        return True

    def mark_deleted_by_customer(
        self, session: Session, sync: ContactSync, *, staff_userid: str, at: datetime
    ) -> bool:
        """The customer deleted the staff member. WeCom keeps returning such a relation, so the
        event is the only witness; ignore it when the relation began after it (re-added)."""
        relation = sync.relations.get(staff_userid)
        if relation is None:
            return False
        if relation.added_at is not None and relation.added_at > at:
            return False
        if relation.deleted_by_customer_at is None:
            relation.deleted_by_customer_at = at
        session.flush()
        if sync.customer is not None:
            self._refresh_status(session, sync.customer)
        return True

    def apply_marked_tags(
        self,
        session: Session,
        *,
        relation: FollowRelation,
        add: Sequence[str],
        remove: Sequence[str],
        resolve_tags: TagResolver,
    ) -> TagDiff:
        """After a successful mark_tag (API changes send no callback, so Siyu records them)."""
        old = list(relation.wecom_tag_ids or [])
        new = [t for t in old if t not in set(remove)]
        new += [t for t in dict.fromkeys(add) if t not in new]
        relation.wecom_tag_ids = new
        contacts.set_relation_tags(session, relation, resolve_tags(new) if new else {})
        session.flush()
        return TagDiff(
            added=[t for t in new if t not in old], removed=[t for t in old if t not in new]
        )

    def drop_tags(
        self, session: Session, *, tag_ids: Sequence[uuid.UUID], wecom_tag_ids: Sequence[str]
    ) -> int:
        """Tags deleted in WeCom leave every relation (WeCom strips them without callbacks)."""
        repo = contacts
        doomed = set(wecom_tag_ids)
        relations = repo.relations_with_tags(session, list(tag_ids))
        for relation in relations:
            relation.wecom_tag_ids = [t for t in relation.wecom_tag_ids or [] if t not in doomed]
        repo.unlink_tags(session, list(tag_ids))
        session.flush()
        return len(relations)

    @staticmethod
    def _refresh_status(session: Session, person: Customer) -> None:
        """From all the person's relations in the database (a merged person holds several
        contacts' relations, not only those of the contact at hand)."""
        session.flush()
        customers.refresh_status(session, person.corp_id, [person.id])
        session.refresh(person, ["status"])

    # -- reads ---------------------------------------------------------------------------------
    def list(
        self,
        session: Session,
        *,
        scope: DataScope,
        cursor: str | None = None,
        limit: int = 50,
        status: str | None = None,
    ) -> tuple[builtins.list[Customer], str | None]:
        """Newest first; a scoped member sees customers related to someone in their scope."""
        rows = contacts.list_scoped(
            session, scope, after=decode_id_cursor(cursor), limit=limit + 1, status=status
        )
        return split_id_page(rows, limit)

    def get_or_404(self, session: Session, *, scope: DataScope, customer_id: uuid.UUID) -> Customer:
        customer = contacts.get_scoped(session, scope, customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return customer

    def merged_into(
        self, session: Session, *, scope: DataScope, customer_id: uuid.UUID
    ) -> uuid.UUID | None:
        """The survivor's id when this customer was merged and the survivor is in scope."""
        row = contacts.get_in_corp(session, scope.corp_id, customer_id)
        if row is None or row.merged_into_id is None:
            return None
        survivor = contacts.get_scoped(session, scope, row.merged_into_id)
        return survivor.id if survivor is not None else None

    def relations_in_scope(
        self, session: Session, *, scope: DataScope, customer: Customer
    ) -> builtins.list[FollowRelation]:
        return contacts.relations_scoped(session, scope, customer.id)

    def present_relations(
        self, session: Session, *, scope: DataScope, customer: Customer
    ) -> builtins.list[FollowRelationOut]:
        """The relations in scope with their tags' names (links from the normalised table)."""
        from siyu.tags.service import tag_service

        relations = self.relations_in_scope(session, scope=scope, customer=customer)
        links = contacts.tag_links(session, [r.id for r in relations])
        tag_ids = {tag_id for ids in links.values() for tag_id in ids}
        tags = {
            t.id: t
            for t in tag_service.get_tags(session, corp_id=customer.corp_id, tag_ids=list(tag_ids))
        }
        views = []
        for relation in relations:
            row = {
                column.key: getattr(relation, column.key)
                for column in FollowRelation.__table__.columns
            }
            row["wecom_tag_ids"] = list(relation.wecom_tag_ids or [])
            row["tags"] = [
                RelationTag(id=t.id, wecom_tag_id=t.wecom_tag_id, name=t.name)
                for t in (tags.get(i) for i in links.get(relation.id, []))
                if t is not None and t.deleted_at is None
            ]
            views.append(FollowRelationOut.model_validate(row))
        return views

    def relation_or_404(
        self, session: Session, *, scope: DataScope, customer: Customer, staff_userid: str
    ) -> FollowRelation:
        for relation in self.relations_in_scope(session, scope=scope, customer=customer):
            if relation.staff_userid == staff_userid:
                return relation
        raise NotFound(f"{staff_userid} has no relation with customer {customer.id}")

    def ids_by_external_userid(
        self, session: Session, *, corp_id: uuid.UUID, external_userids: Sequence[str]
    ) -> dict[str, uuid.UUID]:
        """external_userid → customer id, for consumers of customer domain events."""
        return contacts.ids_by_external_userid(session, corp_id, external_userids)

    def relation_ids(
        self, session: Session, *, corp_id: uuid.UUID, pairs: Sequence[tuple[str, str]]
    ) -> builtins.list[uuid.UUID]:
        """Ids of the relations named by (staff userid, external_userid) pairs."""
        return contacts.relation_ids(session, corp_id, pairs)

    def names(self, session: Session, *, customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        return contacts.names(session, customer_ids)

    def active_owners(self, session: Session, *, customer: Customer) -> builtins.list[str]:
        """Staff userids whose relation with the customer is active."""
        return [
            r.staff_userid
            for r in contacts.relations_of_person(session, customer.id)
            if r.deleted_by_staff_at is None and r.deleted_by_customer_at is None
        ]

    def relation_by_id(self, session: Session, relation_id: uuid.UUID) -> FollowRelation | None:
        return contacts.relation(session, relation_id)


customer_service = CustomerService()
