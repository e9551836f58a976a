"""Tag rules: corp tags mirrored from WeCom, and tag changes made in Siyu pushed to WeCom.

"Tag changes made in Siyu go to WeCom through mark_tag and the corp tag APIs; tag changes made
in WeCom arrive by callback." A change made here is recorded first (the local rows plus a
`TagChange` row saying what WeCom must be told) in the request's transaction; the `tags.push`
job calls WeCom after commit and records the answer (new ids, or the error). WeCom is never
called inside a request, so a slow or failing WeCom cannot hold a database transaction open.

WeCom's own rules are checked before anything is recorded: names of at most 30 characters,
at most 3,000 corp tags (40126), unique names within a group (40071), and a mark must add or
remove something.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.tags.changes import TagChange, TagChangeKind, TagChangeStatus
from siyu.tags.models import TAG_TYPE_CORP, Tag, TagGroup
from siyu.tags.queries import tag_queries
from siyu.tags.repository import tag_groups, tags
from siyu.tags.schemas import TagCreate, TagGroupCreate, TagGroupUpdate, TagUpdate

PUSH_JOB = "tags.push"
NAME_MAX = 30
CORP_TAG_CAP = 3000
WECOM = "wecom"
SIYU = "siyu"


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise Unprocessable(f"a tag or group name is 1-{NAME_MAX} characters (WeCom's rule)")
    return name


class TagService:
    # -- reads ---------------------------------------------------------------------------------
    def list_groups(
        self, session: Session, *, corp_id: uuid.UUID
    ) -> list[tuple[TagGroup, list[Tag]]]:
        repo = tag_queries
        groups = repo.list_groups(session, corp_id)
        by_group = repo.tags_by_group(session, corp_id, [g.id for g in groups])
        return [(g, by_group.get(g.id, [])) for g in groups]

    def group_or_404(
        self, session: Session, *, corp_id: uuid.UUID, group_id: uuid.UUID
    ) -> TagGroup:
        group = tag_queries.get_group(session, corp_id, group_id)
        if group is None or group.deleted_at is not None:
            raise NotFound(f"tag group {group_id} does not exist")
        return group

    def tag_or_404(self, session: Session, *, corp_id: uuid.UUID, tag_id: uuid.UUID) -> Tag:
        tag = tag_queries.get_tag(session, corp_id, tag_id)
        if tag is None or tag.deleted_at is not None:
            raise NotFound(f"tag {tag_id} does not exist")
        return tag

    def change_or_404(
        self, session: Session, *, corp_id: uuid.UUID, change_id: uuid.UUID
    ) -> TagChange:
        change = tag_queries.get_change(session, corp_id, change_id)
        if change is None:
            raise NotFound(f"tag change {change_id} does not exist")
        return change

    def get_tags(
        self, session: Session, *, corp_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
    ) -> list[Tag]:
        return tag_queries.get_tags(session, corp_id, list(tag_ids)) if tag_ids else []

    def tags_of_group(self, session: Session, *, group: TagGroup) -> list[Tag]:
        return tag_queries.tags_by_group(session, group.corp_id, [group.id]).get(group.id, [])

    # -- local intent + outbound -------------------------------------------------------------
    def create_group(
        self, session: Session, *, corp_id: uuid.UUID, data: TagGroupCreate
    ) -> TagGroup:
        repo = tag_queries
        name = _check_name(data.name)
        names = [_check_name(t.name) for t in data.tags]
        if len(set(names)) != len(names):
            raise Unprocessable("tag names within a group must differ (WeCom 40071)")
        if repo.live_group_named(session, corp_id, name) is not None:
            raise Conflict(f"a tag group named {name!r} exists (WeCom 40071)")
        if data.origin == WECOM:
            if not names:
                raise Unprocessable(
                    "a WeCom tag group needs at least one tag (WeCom drops empty groups)"
                )
            self._check_cap(session, corp_id, len(names))
        group = repo.add_group(
            session, TagGroup(corp_id=corp_id, name=name, order=data.order, origin=data.origin)
        )
        for spec, tag_name in zip(data.tags, names, strict=True):
            repo.add_tag(
                session,
                Tag(corp_id=corp_id, group_id=group.id, name=tag_name, order=spec.order, type=1),
            )
        if data.origin == WECOM:
            self._record(
                session, corp_id=corp_id, kind=TagChangeKind.create_group, tag_group_id=group.id
            )
        audit_service.record(
            session,
            action="tag_group.create",
            target_type="tag_group",
            target_id=group.id,
            details={"name": name, "origin": data.origin},
        )
        return group

    def create_tag(self, session: Session, *, group: TagGroup, data: TagCreate) -> Tag:
        repo = tag_queries
        name = _check_name(data.name)
        if any(t.name == name for t in self.tags_of_group(session, group=group)):
            raise Conflict(f"group {group.name!r} already has a tag named {name!r} (WeCom 40071)")
        if group.origin == WECOM:
            self._check_cap(session, group.corp_id, 1)
        tag = repo.add_tag(
            session,
            Tag(corp_id=group.corp_id, group_id=group.id, name=name, order=data.order, type=1),
        )
        if group.origin == WECOM:
            self._record(
                session,
                corp_id=group.corp_id,
                kind=TagChangeKind.create_tag,
                tag_group_id=group.id,
                tag_id=tag.id,
            )
        audit_service.record(
            session,
            action="tag.create",
            target_type="tag",
            target_id=tag.id,
            details={"name": name, "group_id": str(group.id)},
        )
        return tag

    def update_group(self, session: Session, *, group: TagGroup, data: TagGroupUpdate) -> TagGroup:
        fields = data.model_dump(exclude_unset=True, exclude_none=True)
        if "name" in fields:
            fields["name"] = _check_name(fields["name"])
            other = tag_queries.live_group_named(session, group.corp_id, fields["name"])
            if other is not None and other.id != group.id:
                raise Conflict(f"a tag group named {fields['name']!r} exists (WeCom 40071)")
        if not fields:
            return group
        for name, value in fields.items():
            setattr(group, name, value)
        session.flush()
        if group.origin == WECOM:
            self._record(
                session,
                corp_id=group.corp_id,
                kind=TagChangeKind.edit_group,
                tag_group_id=group.id,
                payload=fields,
            )
        audit_service.record(
            session,
            action="tag_group.update",
            target_type="tag_group",
            target_id=group.id,
            details=fields,
        )
        return group

    def update_tag(self, session: Session, *, tag: Tag, data: TagUpdate) -> Tag:
        fields = data.model_dump(exclude_unset=True, exclude_none=True)
        group = tag_queries.get_group(session, tag.corp_id, tag.group_id)
        assert group is not None
        if "name" in fields:
            fields["name"] = _check_name(fields["name"])
            if any(
                t.name == fields["name"] and t.id != tag.id
                for t in self.tags_of_group(session, group=group)
            ):
                raise Conflict(
                    f"group {group.name!r} already has a tag named {fields['name']!r} (WeCom 40071)"
                )
        if not fields:
            return tag
        for name, value in fields.items():
            setattr(tag, name, value)
        session.flush()
        if group.origin == WECOM:
            self._record(
                session,
                corp_id=tag.corp_id,
                kind=TagChangeKind.edit_tag,
                tag_group_id=group.id,
                tag_id=tag.id,
                payload=fields,
            )
        audit_service.record(
            session, action="tag.update", target_type="tag", target_id=tag.id, details=fields
        )
        return tag

    def delete_group(self, session: Session, *, group: TagGroup) -> TagChange | None:
        now = utcnow()
        group.deleted_at = now
        for tag in self.tags_of_group(session, group=group):
            tag.deleted_at = now
        session.flush()
        change = None
        if group.origin == WECOM:
            change = self._record(
                session,
                corp_id=group.corp_id,
                kind=TagChangeKind.delete_group,
                tag_group_id=group.id,
            )
        audit_service.record(
            session,
            action="tag_group.delete",
            target_type="tag_group",
            target_id=group.id,
            details={"name": group.name},
        )
        return change

    def delete_tag(self, session: Session, *, tag: Tag) -> TagChange | None:
        tag.deleted_at = utcnow()
        session.flush()
        group = tag_queries.get_group(session, tag.corp_id, tag.group_id)
        change = None
        if group is not None and group.origin == WECOM:
            change = self._record(
                session,
                corp_id=tag.corp_id,
                kind=TagChangeKind.delete_tag,
                tag_group_id=group.id,
                tag_id=tag.id,
            )
        audit_service.record(
            session,
            action="tag.delete",
            target_type="tag",
            target_id=tag.id,
            details={"name": tag.name},
        )
        return change

    def mark(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        relation_id: uuid.UUID,
        staff_userid: str,
        external_userid: str,
        add: Sequence[uuid.UUID],
        remove: Sequence[uuid.UUID],
    ) -> TagChange:
        """Ask WeCom to mark/unmark corp tags on one follow relation (mark_tag)."""
        if not add and not remove:
            raise Unprocessable("add and remove are both empty (WeCom refuses such a mark_tag)")
        if set(add) & set(remove):
            raise Unprocessable("a tag cannot be both added and removed")
        wanted = {*add, *remove}
        found = {t.id: t for t in tag_queries.get_tags(session, corp_id, list(wanted))}
        missing = [str(i) for i in wanted if i not in found or found[i].deleted_at is not None]
        if missing:
            raise Unprocessable(f"tags {missing} do not exist", details={"tag_ids": missing})
        if any(t.type != 1 for t in found.values()):
            raise Unprocessable("only corp tags can be marked through WeCom")
        change = self.queue_mark(
            session,
            corp_id=corp_id,
            relation_id=relation_id,
            staff_userid=staff_userid,
            external_userid=external_userid,
            add=add,
            remove=remove,
        )
        audit_service.record(
            session,
            action="customer.tags.mark",
            target_type="follow_relation",
            target_id=relation_id,
            details=change.payload,
        )
        return change

    def queue_mark(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        relation_id: uuid.UUID,
        staff_userid: str,
        external_userid: str,
        add: Sequence[uuid.UUID],
        remove: Sequence[uuid.UUID],
    ) -> TagChange:
        """Record a mark_tag the caller has validated (bulk jobs audit once per job)."""
        return self._record(
            session,
            corp_id=corp_id,
            kind=TagChangeKind.mark,
            relation_id=relation_id,
            payload={
                "userid": staff_userid,
                "external_userid": external_userid,
                "add": [str(i) for i in add],
                "remove": [str(i) for i in remove],
            },
        )

    # -- inbound: WeCom's answers applied here --------------------------------------------------
    def apply_wecom_groups(
        self, session: Session, *, corp_id: uuid.UUID, groups: Sequence[dict[str, Any]]
    ) -> None:
        """Upsert the groups and tags of a (filtered) get_corp_tag_list answer with the full
        sync's repositories; entries flagged `deleted` are marked deleted here."""
        now = utcnow()
        live = [g for g in groups if g.get("group_id") and not g.get("deleted")]
        group_ids = tag_groups.upsert_many(
            session,
            corp_id,
            [
                {
                    "wecom_group_id": str(g["group_id"]),
                    "name": str(g.get("group_name", ""))[:64],
                    "order": int(g.get("order") or 0),
                }
                for g in live
            ],
            now=now,
        )
        tags.upsert_many(
            session,
            corp_id,
            [
                {
                    "group_id": group_ids[str(g["group_id"])],
                    "wecom_tag_id": str(t["id"]),
                    "name": str(t.get("name", ""))[:64],
                    "order": int(t.get("order") or 0),
                    "type": TAG_TYPE_CORP,
                }
                for g in live
                for t in g.get("tag") or []
                if t.get("id") and not t.get("deleted")
            ],
            now=now,
        )
        for data in groups:
            if data.get("deleted") and data.get("group_id"):
                self.mark_wecom_deleted(
                    session, corp_id=corp_id, wecom_id=str(data["group_id"]), is_group=True
                )
            for item in data.get("tag") or []:
                if item.get("deleted") and item.get("id"):
                    self.mark_wecom_deleted(
                        session, corp_id=corp_id, wecom_id=str(item["id"]), is_group=False
                    )
        session.flush()

    def mark_wecom_deleted(
        self, session: Session, *, corp_id: uuid.UUID, wecom_id: str, is_group: bool
    ) -> list[Tag]:
        """A tag (or group) deleted in WeCom; WeCom ids are never reused, so this is final.
        Returns the tags that were live, so relations can drop them."""
        repo = tag_queries
        now = utcnow()
        if is_group:
            group = repo.group_by_wecom_id(session, corp_id, wecom_id)
            if group is None:
                return []
            return self._delete_local_group(session, group, now)
        tag = repo.tag_by_wecom_id(session, corp_id, wecom_id)
        if tag is None or tag.deleted_at is not None:
            return []
        tag.deleted_at = now
        session.flush()
        return [tag]

    def known_wecom_tags(
        self, session: Session, *, corp_id: uuid.UUID, wecom_ids: Sequence[str]
    ) -> dict[str, Tag]:
        return {
            t.wecom_tag_id: t
            for t in tag_queries.tags_by_wecom_ids(session, corp_id, list(wecom_ids))
            if t.wecom_tag_id is not None and t.deleted_at is None
        }

    def _delete_local_group(self, session: Session, group: TagGroup, now: Any) -> list[Tag]:
        group.deleted_at = group.deleted_at or now
        live = [t for t in self.tags_of_group(session, group=group) if t.deleted_at is None]
        for tag in live:
            tag.deleted_at = now
        session.flush()
        return live

    def _check_cap(self, session: Session, corp_id: uuid.UUID, adding: int) -> None:
        count = tag_queries.count_corp_tags(session, corp_id)
        if count + adding > CORP_TAG_CAP:
            raise Conflict(
                f"WeCom allows at most {CORP_TAG_CAP} corp tags; this corp has {count} (40126)",
                code="corp_tag_cap",
            )

    def _record(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        kind: TagChangeKind,
        tag_group_id: uuid.UUID | None = None,
        tag_id: uuid.UUID | None = None,
        relation_id: uuid.UUID | None = None,
        payload: dict[str, Any] | None = None,
    ) -> TagChange:
        change = tag_queries.add_change(
            session,
            TagChange(
                corp_id=corp_id,
                kind=kind.value,
                tag_group_id=tag_group_id,
                tag_id=tag_id,
                relation_id=relation_id,
                payload=payload or {},
                status=TagChangeStatus.pending.value,
            ),
        )
        enqueue(
            session,
            PUSH_JOB,
            key=f"tags.push:{change.id}",
            args={"change_id": str(change.id)},
            corp_id=corp_id,
        )
        return change


tag_service = TagService()
