"""Customer group rules: mirroring WeCom's groups and their members, and reading them.

Member callbacks are unreliable ("可能乱序可能丢失", API-FACTS §2.2): each carries the member
version before and after (LastMemVer/CurMemVer). An event whose LastMemVer is the stored
version is the next step and is applied as it stands; one whose CurMemVer is the stored version
was applied already; anything else means an event was lost or comes late, and the group is
re-read from groupchat/get instead — so a stale event is never applied over a newer state.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.groups.models import CustomerGroup, GroupMember
from siyu.groups.queries import group_queries
from siyu.kit.errors import NotFound
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.sync.apply import apply_group


class MemberStep(StrEnum):
    """How a member event relates to the stored member version."""

    next = "next"  # LastMemVer == stored: apply it
    applied = "applied"  # CurMemVer == stored: already reflected
    gap = "gap"  # neither: lost or late events in between; re-read the group


def external_or_staff(member_id: str) -> int:
    """2 for an external contact, 1 for a staff member: WeCom's external_userids start with
    wm/wo, userids never do. Only needed until a groupchat/get gives the exact type."""
    return 2 if member_id.startswith(("wm", "wo")) else 1


def _active(members: Sequence[GroupMember]) -> int:
    return sum(1 for m in members if m.left_at is None)


class GroupService:
    # -- writes from WeCom ---------------------------------------------------------------------
    def lock_group(self, session: Session, *, corp_id: uuid.UUID, chat_id: str) -> None:
        """Before reading the stored version or re-fetching: one member event at a time."""
        group_queries.lock(session, corp_id, chat_id)

    def apply_snapshot(
        self, session: Session, *, corp_id: uuid.UUID, data: dict[str, Any], at: datetime
    ) -> CustomerGroup:
        """Make the group and its members what groupchat/get answered, written by
        `siyu.sync.apply.apply_group` exactly as the full sync writes it."""
        chat_id = str(data["chat_id"])
        known = group_queries.get_by_chat_id(session, corp_id, chat_id)
        apply_group(session, corp_id, data, status=known.status if known else 0, now=at)
        group = group_queries.get_by_chat_id(session, corp_id, chat_id, fresh=True)
        assert group is not None
        group.dismissed_at = None  # WeCom answered for it: it exists
        group.member_count = _active(group_queries.members_of(session, group.id, fresh=True))
        session.flush()
        return group

    def step_of(
        self, group: CustomerGroup | None, *, last_version: str | None, current_version: str | None
    ) -> MemberStep:
        stored = group.member_version if group is not None else None
        if not stored or not current_version:
            return MemberStep.gap
        if current_version == stored:
            return MemberStep.applied
        if last_version and last_version == stored:
            return MemberStep.next
        return MemberStep.gap

    def apply_member_step(
        self,
        session: Session,
        *,
        group: CustomerGroup,
        joined: Sequence[str] = (),
        left: Sequence[str] = (),
        at: datetime,
        join_scene: int | None = None,
        quit_scene: int | None = None,
        current_version: str,
    ) -> None:
        """Apply one member event that follows the stored version directly."""
        repo = group_queries
        members = {m.member_id: m for m in repo.members_of(session, group.id, fresh=True)}
        for member_id in joined:
            member = members.get(member_id)
            if member is None:
                member = repo.add_member(
                    session,
                    GroupMember(
                        corp_id=group.corp_id,
                        group_id=group.id,
                        member_id=member_id,
                        member_type=external_or_staff(member_id),
                    ),
                )
                members[member_id] = member
            member.join_time = at
            # The callback says 0 for any invitation and 3 for a QR scan (groupchat/get says
            # 1/2/3); keep WeCom's callback meaning until a re-read brings the exact one.
            member.join_scene = join_scene
            member.left_at = None
            member.quit_scene = None
        for member_id in left:
            member = members.get(member_id)
            if member is not None and member.left_at is None:
                member.left_at = at
                member.quit_scene = quit_scene
        group.member_version = current_version
        group.member_count = _active(list(members.values()))
        session.flush()

    def mark_dismissed(
        self, session: Session, *, corp_id: uuid.UUID, chat_id: str, at: datetime
    ) -> CustomerGroup | None:
        group = group_queries.get_by_chat_id(session, corp_id, chat_id)
        if group is not None and group.dismissed_at is None:
            group.dismissed_at = at
            session.flush()
        return group

    def get_by_chat_id(
        self, session: Session, *, corp_id: uuid.UUID, chat_id: str
    ) -> CustomerGroup | None:
        return group_queries.get_by_chat_id(session, corp_id, chat_id)

    def by_ids(
        self, session: Session, *, corp_id: uuid.UUID, group_ids: Sequence[uuid.UUID]
    ) -> builtins.list[CustomerGroup]:
        """The corp's groups among `group_ids` (others' ids are silently absent)."""
        return group_queries.by_ids(session, corp_id, list(group_ids))

    # -- reads ---------------------------------------------------------------------------------
    def list(
        self,
        session: Session,
        *,
        scope: DataScope,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[builtins.list[CustomerGroup], str | None]:
        rows = group_queries.list_scoped(
            session, scope, after=decode_id_cursor(cursor), limit=limit + 1
        )
        return split_id_page(rows, limit)

    def get_or_404(
        self, session: Session, *, scope: DataScope, group_id: uuid.UUID
    ) -> CustomerGroup:
        group = group_queries.get_scoped(session, scope, group_id)
        if group is None:
            raise NotFound(f"group {group_id} does not exist")
        return group

    def members(self, session: Session, *, group: CustomerGroup) -> builtins.list[GroupMember]:
        return group_queries.members_of(session, group.id)


group_service = GroupService()
