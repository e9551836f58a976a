"""Quick replies: groups in order, replies in order within them, texts whose variables are
checked when written and filled in when used, and materials attached by id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from siyu.kit.errors import BadRequest, Conflict, NotFound
from siyu.kit.pagination import decode_cursor, encode_cursor
from siyu.materials.service import materials_service
from siyu.replies.models import Reply, ReplyGroup
from siyu.replies.repository import reply_repository as repo
from siyu.replies.schemas import ReplyCreate, ReplyGroupCreate, ReplyGroupUpdate, ReplyUpdate
from siyu.replies.variables import render, variables_in


class ReplyService:
    # -- groups -------------------------------------------------------------------------------
    def groups(self, session: Session, *, corp_id: uuid.UUID) -> list[tuple[ReplyGroup, int]]:
        return repo.groups(session, corp_id)

    def group_or_404(self, session: Session, corp_id: uuid.UUID, group_id: uuid.UUID) -> ReplyGroup:
        group = repo.group(session, corp_id, group_id)
        if group is None:
            raise NotFound(f"reply group {group_id} does not exist")
        return group

    def create_group(
        self, session: Session, *, corp_id: uuid.UUID, data: ReplyGroupCreate
    ) -> ReplyGroup:
        self._check_group_name(session, corp_id, data.name, None)
        group = ReplyGroup(corp_id=corp_id, name=data.name, position=data.position)
        session.add(group)
        session.flush()
        return group

    def update_group(
        self, session: Session, *, group: ReplyGroup, data: ReplyGroupUpdate
    ) -> ReplyGroup:
        if data.name is not None:
            self._check_group_name(session, group.corp_id, data.name, group.id)
            group.name = data.name
        if data.position is not None:
            group.position = data.position
        session.flush()
        return group

    def delete_group(self, session: Session, *, group: ReplyGroup) -> None:
        """Deletes its replies too (they belong to the group)."""
        session.delete(group)
        session.flush()

    # -- replies ------------------------------------------------------------------------------
    def page(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        group_id: uuid.UUID | None,
        search: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Reply], str | None]:
        after = None
        if cursor:
            position, last = decode_cursor(cursor, size=2)
            try:
                after = (int(position), uuid.UUID(str(last)))
            except (TypeError, ValueError):
                raise BadRequest(
                    "cursor is not valid; pass the next_cursor of a previous page"
                ) from None
        rows = repo.page(
            session, corp_id, group_id=group_id, search=search, after=after, limit=limit + 1
        )
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor([rows[limit - 1].position, rows[limit - 1].id])
        return rows[:limit], next_cursor

    def reply_or_404(self, session: Session, corp_id: uuid.UUID, reply_id: uuid.UUID) -> Reply:
        reply = repo.reply(session, corp_id, reply_id)
        if reply is None:
            raise NotFound(f"reply {reply_id} does not exist")
        return reply

    def create(
        self, session: Session, *, corp_id: uuid.UUID, data: ReplyCreate, created_by: str
    ) -> Reply:
        self.group_or_404(session, corp_id, data.group_id)
        variables_in(data.text)
        materials_service.check_attachable(session, corp_id=corp_id, material_ids=data.material_ids)
        reply = Reply(
            corp_id=corp_id,
            group_id=data.group_id,
            title=data.title,
            text=data.text,
            material_ids=[str(m) for m in data.material_ids],
            position=data.position,
            created_by=created_by,
        )
        session.add(reply)
        session.flush()
        return reply

    def update(self, session: Session, *, reply: Reply, data: ReplyUpdate) -> Reply:
        changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude_none=True)
        if "group_id" in changes:
            self.group_or_404(session, reply.corp_id, changes["group_id"])
        if "text" in changes:
            variables_in(changes["text"])
        if "material_ids" in changes:
            ids = changes["material_ids"]
            materials_service.check_attachable(session, corp_id=reply.corp_id, material_ids=ids)
            changes["material_ids"] = [str(m) for m in ids]
        for name, value in changes.items():
            setattr(reply, name, value)
        session.flush()
        return reply

    def delete(self, session: Session, *, reply: Reply) -> None:
        session.delete(reply)
        session.flush()

    def render(
        self, session: Session, *, reply: Reply, values: Mapping[str, str], count_use: bool
    ) -> str:
        """The reply's text for one customer; 422 on an unknown variable or a missing value."""
        text = render(reply.text, values)
        if count_use:
            repo.count_use(session, reply.id)
        return text

    def _check_group_name(
        self, session: Session, corp_id: uuid.UUID, name: str, group_id: uuid.UUID | None
    ) -> None:
        existing = repo.group_named(session, corp_id, name)
        if existing is not None and existing.id != group_id:
            raise Conflict(f"a reply group named {name!r} exists already")


reply_service = ReplyService()
