"""WeCom payloads → rows: the one place that writes contacts, relations, tags and groups
from what WeCom says. The full sync and the callback handlers both call these functions, so a
relation looks the same whichever path saw it last.

Every function takes plain dicts as WeCom sends them (a pydantic model's `model_dump()` works
too), flushes nothing itself and never commits: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.models import Customer, FollowRelation, FollowRelationTag
from siyu.customers.repository import customers, follow_relations
from siyu.db.dialect import refresh_statistics
from siyu.groups.repository import customer_groups, group_members
from siyu.identity.models import CustomerIdentity
from siyu.identity.service import identity_service
from siyu.segments import facts as segment_facts
from siyu.segments.models import CustomerFacts
from siyu.tags.models import TAG_TYPE_CORP
from siyu.tags.repository import tag_groups, tags


def from_unix(value: Any) -> datetime | None:
    """WeCom timestamps are unix seconds; 0 or absent means unknown."""
    if value in (None, "", 0, "0"):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def contact_row(contact: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "external_userid": contact["external_userid"],
        "name": contact.get("name") or "",
        "avatar": contact.get("avatar"),
        "type": int(contact.get("type") or 1),
        "gender": int(contact.get("gender") or 0),
        "unionid": contact.get("unionid") or None,
        "corp_name": contact.get("corp_name"),
        "corp_full_name": contact.get("corp_full_name"),
        "position": contact.get("position"),
    }


def relation_tag_ids(follow: Mapping[str, Any]) -> list[str]:
    """batch/get_by_user gives `tag_id: [...]`, externalcontact/get gives `tags: [{tag_id}]`."""
    if follow.get("tag_id") is not None:
        return [str(tag_id) for tag_id in follow["tag_id"]]
    return [str(tag["tag_id"]) for tag in follow.get("tags") or [] if tag.get("tag_id")]


def relation_row(external_userid: str, follow: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "external_userid": external_userid,
        "staff_userid": follow["userid"],
        "remark": follow.get("remark"),
        "description": follow.get("description"),
        "remark_corp_name": follow.get("remark_corp_name"),
        "remark_mobiles": list(follow.get("remark_mobiles") or []),
        "add_way": int(follow.get("add_way") or 0),
        "state": follow.get("state") or None,
        "oper_userid": follow.get("oper_userid"),
        "added_at": from_unix(follow.get("createtime")),
        "wecom_tag_ids": relation_tag_ids(follow),
    }


@dataclass
class Applied:
    customer_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    relation_ids: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)


@dataclass
class People:
    # external_userid → the person each contact now belongs to.
    ids: dict[str, uuid.UUID]
    # Persons this call created that nothing else holds yet: their rows, identities and
    # (once written) relations are all this transaction's own.
    created: set[uuid.UUID]


def _upsert_people(
    session: Session, corp_id: uuid.UUID, rows: list[dict[str, Any]], *, now: datetime
) -> People:
    """Contacts upserted and their identities (external_userid, unionid) recorded in the same
    transaction."""
    ids, created = customers.upsert_many(session, corp_id, rows, now=now)
    recorded = identity_service.record_wecom_contacts(
        session,
        corp_id,
        [(ids[row["external_userid"]], row["external_userid"], row["unionid"]) for row in rows],
        now=now,
    )
    # A resolver run may have merged anyone, new persons included: then assume nothing.
    return People(recorded.persons, set() if recorded.resolved else created)


def apply_follows(
    session: Session,
    corp_id: uuid.UUID,
    pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    tag_ids: Mapping[str, uuid.UUID],
    now: datetime,
) -> Applied:
    """Upsert (external_contact, follow_info) pairs: contacts, relations and relation tags.

    `tag_ids` maps WeCom tag ids to Siyu's (`tags.ids_by_wecom_id`); ids it lacks (personal
    and rule tags, or tags newer than the map) stay in `wecom_tag_ids` only. A contact listed
    twice (two staff in one page) is written once, with its earliest add time.
    """
    contacts: dict[str, dict[str, Any]] = {}
    relations: dict[tuple[str, str], dict[str, Any]] = {}
    for contact, follow in pairs:
        relation = relation_row(contact["external_userid"], follow)
        row = contacts.setdefault(contact["external_userid"], contact_row(contact))
        added = relation["added_at"]
        if added is not None and (
            row.get("first_added_at") is None or added < row["first_added_at"]
        ):
            row["first_added_at"] = added
        row.setdefault("first_added_at", None)
        relations[(relation["staff_userid"], relation["external_userid"])] = relation
    people = _upsert_people(session, corp_id, list(contacts.values()), now=now)
    customer_ids = people.ids
    rows = [
        relation | {"customer_id": customer_ids[relation["external_userid"]]}
        for relation in relations.values()
    ]
    relation_ids, created_relations = follow_relations.upsert_many(session, corp_id, rows, now=now)
    relation_tags = {
        relation_ids[key]: [tag_ids[t] for t in relation["wecom_tag_ids"] if t in tag_ids]
        for key, relation in relations.items()
    }
    follow_relations.replace_tags(session, corp_id, relation_tags, now=now)
    # Core upserts bypass the ORM: tell the segment index whom they changed. People created
    # here whose relations were all created here too get their facts from what is in hand
    # (a re-listed relation may carry deletion marks the database holds, so not those).
    fresh = set(people.created)
    for key, row in zip(relations, rows, strict=True):
        if relation_ids[key] not in created_relations:
            fresh.discard(row["customer_id"])
    segment_facts.add_created_people(
        session,
        corp_id,
        {
            customer_ids[ext]: row["first_added_at"]
            for ext, row in contacts.items()
            if customer_ids[ext] in fresh
        },
        [
            (
                row["customer_id"],
                row["staff_userid"],
                row["state"],
                relation_tags[relation_ids[key]],
            )
            for key, row in zip(relations, rows, strict=True)
        ],
    )
    segment_facts.touch(session, set(customer_ids.values()) - fresh)
    return Applied(customer_ids, relation_ids)


def refresh_contact_statistics(session: Session) -> None:
    """ANALYZE the tables `apply_follows` writes and reads back (PostgreSQL; nothing on SQLite).

    A first sync grows them from nothing, and with no statistics (autovacuum off, or not yet
    past its naptime) PostgreSQL planned the identity lookup as a scan of every identity of
    the corp filtered by the page's values, so each page cost more as the table grew (at
    45,000 contacts, 2,000 values as one array parameter: 5.2 s before ANALYZE, 37 ms after)."""
    for model in (Customer, CustomerIdentity, FollowRelation, FollowRelationTag, CustomerFacts):
        refresh_statistics(session, model.__tablename__)


def apply_contact(
    session: Session,
    corp_id: uuid.UUID,
    contact: Mapping[str, Any],
    follow_users: Sequence[Mapping[str, Any]],
    *,
    tag_ids: Mapping[str, uuid.UUID],
    now: datetime,
) -> Applied:
    """An externalcontact/get answer (a callback handler's refetch): the contact, its
    relations as listed, and the contact's status recomputed."""
    applied = apply_follows(
        session, corp_id, [(contact, follow) for follow in follow_users], tag_ids=tag_ids, now=now
    )
    if not follow_users:
        applied.customer_ids = _upsert_people(
            session, corp_id, [contact_row(contact) | {"first_added_at": None}], now=now
        ).ids
    customers.refresh_status(session, corp_id, list(applied.customer_ids.values()))
    return applied


def apply_corp_tags(
    session: Session, corp_id: uuid.UUID, groups: Sequence[Mapping[str, Any]], *, now: datetime
) -> dict[str, int]:
    """A full get_corp_tag_list answer: upsert every group and tag, soft-delete the rest.

    Only call with an unfiltered answer; a filtered one would mark everything else deleted.
    """
    live_groups = [g for g in groups if not g.get("deleted")]
    group_ids = tag_groups.upsert_many(
        session,
        corp_id,
        [
            {
                "wecom_group_id": g["group_id"],
                "name": g["group_name"],
                "order": int(g.get("order") or 0),
            }
            for g in live_groups
        ],
        now=now,
    )
    tag_rows = [
        {
            "group_id": group_ids[g["group_id"]],
            "wecom_tag_id": t["id"],
            "name": t["name"],
            "order": int(t.get("order") or 0),
            "type": TAG_TYPE_CORP,
        }
        for g in live_groups
        for t in g.get("tag") or []
        if not t.get("deleted")
    ]
    tag_ids = tags.upsert_many(session, corp_id, tag_rows, now=now)
    return {
        "tag_groups": len(group_ids),
        "tags": len(tag_ids),
        "tag_groups_deleted": tag_groups.mark_deleted_except(session, corp_id, group_ids, now=now),
        "tags_deleted": tags.mark_deleted_except(
            session, corp_id, tag_ids, tag_type=TAG_TYPE_CORP, now=now
        ),
    }


def group_row(chat: Mapping[str, Any], *, status: int = 0) -> dict[str, Any]:
    return {
        "chat_id": chat["chat_id"],
        "name": chat.get("name") or "",
        "owner_userid": chat.get("owner") or "",
        "notice": chat.get("notice"),
        "created_in_wecom_at": from_unix(chat.get("create_time")),
        "member_version": chat.get("member_version"),
        "status": status,
        "member_count": len(chat.get("member_list") or []),
    }


def member_row(member: Mapping[str, Any]) -> dict[str, Any]:
    invitor = member.get("invitor") or {}
    return {
        "member_id": member["userid"],
        "member_type": int(member.get("type") or 2),
        "unionid": member.get("unionid"),
        "join_time": from_unix(member.get("join_time")),
        "join_scene": member.get("join_scene"),
        "invitor_userid": invitor.get("userid") if isinstance(invitor, Mapping) else None,
        "group_nickname": member.get("group_nickname") or None,
        "name": member.get("name"),
        "state": member.get("state") or None,
    }


def apply_group(
    session: Session, corp_id: uuid.UUID, chat: Mapping[str, Any], *, status: int = 0, now: datetime
) -> uuid.UUID:
    """A groupchat/get answer (`group_chat`): the group and exactly its current members."""
    return apply_groups(session, corp_id, [(chat, status)], now=now)[chat["chat_id"]]


def apply_groups(
    session: Session,
    corp_id: uuid.UUID,
    chats: Sequence[tuple[Mapping[str, Any], int]],
    *,
    now: datetime,
) -> dict[str, uuid.UUID]:
    """groupchat/get answers with their list status, written together (one statement per
    table, not per chat); returns chat_id → group id. A chat given twice counts once, as
    its last answer."""
    latest = {chat["chat_id"]: (chat, status) for chat, status in chats}
    group_ids = customer_groups.upsert_many(
        session,
        corp_id,
        [group_row(chat, status=status) for chat, status in latest.values()],
        now=now,
    )
    group_members.replace_members(
        session,
        corp_id,
        {
            group_ids[chat_id]: list(
                {m["userid"]: member_row(m) for m in chat.get("member_list") or []}.values()
            )
            for chat_id, (chat, _) in latest.items()
        },
        now=now,
    )
    return group_ids
