"""Customer-contact rules: keeping contacts and follow relations equal to WeCom, and reading them.

Callbacks only say *that* something changed; the handlers re-fetch `externalcontact/get` and
call `sync_contact`, which makes the customer and every one of its relations equal to WeCom's
current answer. A re-fetch is never stale, so a late or duplicated callback cannot put back an
older state. Only two facts exist nowhere but in callbacks, and they are applied with a guard:
who deleted whom (`mark_deleted_by_staff`, `mark_deleted_by_customer`), and only when the event
is not older than the relation WeCom holds now.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation
from siyu.customers.queries import contacts
from siyu.customers.schemas import FollowRelation as FollowRelationOut
from siyu.customers.schemas import RelationTag
from siyu.kit.errors import NotFound
from siyu.kit.pagination import decode_id_cursor, split_id_page

ACTIVE = "active"
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


def _tag_ids(follow_user: dict[str, Any]) -> list[str]:
    """The relation's tag ids as WeCom lists them (detailed `tags` or batch-style `tag_id`)."""
    if "tag_id" in follow_user and isinstance(follow_user["tag_id"], list):
        return [str(t) for t in follow_user["tag_id"]]
    ids = []
    for tag in follow_user.get("tags") or []:
        if isinstance(tag, dict) and tag.get("tag_id"):
            ids.append(str(tag["tag_id"]))
    return list(dict.fromkeys(ids))


_CONTACT_FIELDS = (
    "name",
    "avatar",
    "type",
    "gender",
    "unionid",
    "corp_name",
    "corp_full_name",
    "position",
)
_RELATION_FIELDS = ("remark", "description", "remark_corp_name", "add_way", "state", "oper_userid")


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
    ) -> ContactSync:
        """Make the contact and all its relations what WeCom answers now.

        `snapshot=None` means WeCom holds no relation with this contact any more (84061):
        every relation still active here was ended by the staff side.
        """
        repo = contacts
        customer = repo.get_by_external_userid(session, corp_id, external_userid)
        result = ContactSync(customer=customer)
        if snapshot is None:
            if customer is None:
                return result
            for relation in repo.relations_of(session, customer.id):
                result.relations[relation.staff_userid] = relation
                if relation.deleted_by_staff_at is None:
                    relation.deleted_by_staff_at = at
                    result.ended_relations.add(relation.staff_userid)
            self._refresh_status(customer, result.relations.values())
            session.flush()
            return result
        customer = repo.upsert_contact(
            session,
            corp_id=corp_id,
            values=self._contact_values(snapshot.contact, at),
        )
        result.customer = customer
        existing = {r.staff_userid: r for r in repo.relations_of(session, customer.id)}
        seen: set[str] = set()
        for follow_user in snapshot.follow_users:
            userid = str(follow_user.get("userid") or "")
            if not userid:
                continue
            seen.add(userid)
            relation = existing.get(userid)
            new_tags = _tag_ids(follow_user)
            old_tags = list(relation.wecom_tag_ids or []) if relation is not None else []
            added_at = from_timestamp(follow_user.get("createtime"))
            if relation is None:
                relation = repo.add_relation(
                    session,
                    FollowRelation(
                        corp_id=corp_id,
                        customer_id=customer.id,
                        external_userid=external_userid,
                        staff_userid=userid,
                        added_at=added_at,
                        wecom_tag_ids=[],
                    ),
                )
                result.changed_relations.add(userid)
            changed = self._apply_relation(relation, follow_user, added_at, at)
            if changed:
                result.changed_relations.add(userid)
            if new_tags != old_tags:
                relation.wecom_tag_ids = new_tags
                result.tag_diffs[userid] = TagDiff(
                    added=[t for t in new_tags if t not in old_tags],
                    removed=[t for t in old_tags if t not in new_tags],
                )
            repo.set_relation_tags(session, relation, resolve_tags(new_tags) if new_tags else {})
            result.relations[userid] = relation
        first = min((r.added_at for r in result.relations.values() if r.added_at), default=None)
        if first is not None and (
            customer.first_added_at is None or first < customer.first_added_at
        ):
            customer.first_added_at = first
        for userid, relation in existing.items():
            result.relations.setdefault(userid, relation)
            if userid not in seen and relation.deleted_by_staff_at is None:
                relation.deleted_by_staff_at = at
                result.ended_relations.add(userid)
        self._refresh_status(customer, result.relations.values())
        session.flush()
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
        if sync.customer is not None:
            self._refresh_status(sync.customer, sync.relations.values())
        session.flush()
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
    def _contact_values(contact: dict[str, Any], at: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {"external_userid": str(contact.get("external_userid", ""))}
        for name in _CONTACT_FIELDS:
            if contact.get(name) is not None:
                values[name] = contact[name]
        values.setdefault("unionid", None)
        values["synced_at"] = at
        return values

    @staticmethod
    def _apply_relation(
        relation: FollowRelation,
        follow_user: dict[str, Any],
        added_at: datetime | None,
        at: datetime,
    ) -> bool:
        changed = False
        for name in _RELATION_FIELDS:
            value = follow_user.get(name)
            if name == "add_way":
                value = int(value or 0)
            elif not value:
                value = None  # WeCom sends "" and omits alike; store one "nothing"
            if getattr(relation, name) != value:
                setattr(relation, name, value)
                changed = True
        mobiles = list(follow_user.get("remark_mobiles") or [])
        if list(relation.remark_mobiles or []) != mobiles:
            relation.remark_mobiles = mobiles
            changed = True
        if added_at is not None and relation.added_at != added_at:
            # A new createtime is a new relation: whatever ended the old one is history.
            relation.added_at = added_at
            relation.deleted_by_customer_at = None
            relation.delete_source = None
        if relation.deleted_by_staff_at is not None:
            relation.deleted_by_staff_at = None
            relation.delete_source = None
            changed = True
        if (
            relation.deleted_by_customer_at is not None
            and relation.added_at is not None
            and relation.added_at > relation.deleted_by_customer_at
        ):
            relation.deleted_by_customer_at = None
        relation.missing_since = None
        relation.synced_at = at
        return changed

    @staticmethod
    def _refresh_status(customer: Customer, relations: Any) -> None:
        active = any(
            r.deleted_by_staff_at is None and r.deleted_by_customer_at is None for r in relations
        )
        customer.status = ACTIVE if active else LOST

    # -- reads ---------------------------------------------------------------------------------
    def list(
        self,
        session: Session,
        *,
        scope: DataScope,
        cursor: str | None = None,
        limit: int = 50,
        status: str | None = None,
    ) -> tuple[list[Customer], str | None]:
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

    def relations_in_scope(
        self, session: Session, *, scope: DataScope, customer: Customer
    ) -> list[FollowRelation]:
        return contacts.relations_scoped(session, scope, customer.id)

    def present_relations(
        self, session: Session, *, scope: DataScope, customer: Customer
    ) -> list[FollowRelationOut]:
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

    def relation_by_id(self, session: Session, relation_id: uuid.UUID) -> FollowRelation | None:
        return contacts.relation(session, relation_id)


customer_service = CustomerService()
