"""Group codes: creating the join way, editing the pool, rotating groups, recording joins.

WeCom calls happen in the caller's transaction, after the rows they describe are locked and
before the commit: a failed call rolls the change back and the job (or the request) retries
the same idempotent plan.
"""

from __future__ import annotations

import builtins
import secrets
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import Select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.db.session import on_rollback
from siyu.groupcodes import editing, rotation
from siyu.groupcodes.models import (
    SLOT_ACTIVE,
    GroupCode,
    GroupCodeRoute,
    GroupCodeSlot,
)
from siyu.groupcodes.repository import group_code_repository as repo
from siyu.groupcodes.schemas import GroupCodeCreate, GroupCodeUpdate
from siyu.groupcodes.wecom import JoinWays
from siyu.groups.service import group_service
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from siyu.auth.deps import Access

log = structlog.get_logger("siyu.groupcodes")
CN_TZ = timezone(timedelta(hours=8))
ROTATE_JOB = "groupcodes.rotate"
ALERT_JOB = "groupcodes.alert"
DELETE_JOIN_WAY_JOB = "groupcodes.join_way.delete"
CHECK_CODE_JOB = "groupcodes.check_code"
QR_SCAN = 3  # change_external_chat JoinScene for a group QR scan (API-FACTS §3.2)


def china_day(at: datetime) -> date:
    return at.astimezone(CN_TZ).date()


class GroupCodeService:
    # -- reads ---------------------------------------------------------------------------------
    def list(self, session: Session, *, scope: DataScope) -> builtins.list[GroupCode]:
        return repo.list_scoped(session, scope)

    def get_or_404(self, session: Session, *, scope: DataScope, code_id: uuid.UUID) -> GroupCode:
        code = repo.get_scoped(session, scope, code_id)
        if code is None:
            raise NotFound(f"group code {code_id} does not exist")
        return code

    def get_by_slug_or_404(self, session: Session, *, slug: str) -> GroupCode:
        code = repo.get_by_slug(session, slug) if len(slug) <= 32 else None
        if code is None:
            raise NotFound("this group code does not exist")
        return code

    def slots(self, session: Session, *, code: GroupCode) -> builtins.list[GroupCodeSlot]:
        return repo.slots(session, code.id)

    def routes(self, session: Session, *, code: GroupCode) -> builtins.list[GroupCodeRoute]:
        return repo.routes(session, code.id)

    def phone_count(self, session: Session, *, code: GroupCode) -> int:
        return repo.phone_count(session, code.id)

    def daily_joins(
        self, session: Session, *, code: GroupCode, since: date
    ) -> builtins.list[tuple[date, str, int]]:
        return repo.daily_joins(session, code.id, since)

    def joins_by_state(
        self, session: Session, corp_id: uuid.UUID, states: Sequence[str], since: date
    ) -> dict[str, int]:
        """Joins through group codes per join-way state since a China calendar day: what
        acquisition analytics counts as "joined a group" for its channels."""
        return repo.joins_by_state(session, corp_id, list(states), since) if states else {}

    def member_joins(self, corp_id: uuid.UUID) -> Select[str, datetime]:
        """(member_id, joined_at) of every join through a group code, as a selectable for
        other domains' set-based counts (acquisition: channel adds that went on to join)."""
        return repo.joins_of_members(corp_id)

    # -- writes --------------------------------------------------------------------------------
    def create(
        self, session: Session, *, access: Access, data: GroupCodeCreate, ways: JoinWays
    ) -> GroupCode:
        code = GroupCode(
            corp_id=access.corp_id,
            name=data.name,
            owner_userid=data.owner_userid or _caller_userid(access),
            operator_userids=[],
            state=self._new_state(session, access.corp_id),
            slug=secrets.token_urlsafe(16),
        )
        editing.apply_settings(code, data)
        if not data.pool:
            raise BadRequest("a group code needs at least one group in its pool")
        repo.add(session, code)
        editing.set_pool(session, code, data.pool)
        if data.routes is not None:
            editing.set_routes(session, code, data)
        result = self._plan(session, code)
        rotation.apply(result, now=_now())
        if not result.active:
            raise BadRequest("every group in the pool is already at the threshold")
        code.config_id = ways.add(code, result.chat_ids)
        # The join way exists in WeCom before the row commits; a rollback must not orphan it.
        on_rollback(session, lambda: ways.discard(code))
        code.qr_code = ways.qr_code(code)
        session.flush()
        return code

    def update(
        self, session: Session, *, code: GroupCode, data: GroupCodeUpdate, ways: JoinWays
    ) -> GroupCode:
        locked = repo.lock(session, code.id)
        assert locked is not None
        editing.apply_settings(code, data)
        if data.name is not None:
            code.name = data.name
        if data.pool is not None:
            editing.set_pool(session, code, data.pool)
        if data.routes is not None:
            editing.set_routes(session, code, data)
        session.flush()
        self.rebalance(session, code=code, ways=ways, force_sync=True)
        return code

    def delete(self, session: Session, *, code: GroupCode) -> None:
        """The join way is deleted from WeCom by a job after commit: deleted first, a commit
        that then failed would leave the code pointing at a way WeCom no longer has."""
        repo.lock(session, code.id)
        if code.config_id:
            enqueue(
                session,
                DELETE_JOIN_WAY_JOB,
                key=f"{DELETE_JOIN_WAY_JOB}:{code.config_id}",
                args={"corp_id": str(code.corp_id), "config_id": code.config_id},
                corp_id=code.corp_id,
            )
        repo.delete(session, code)

    def rebalance(
        self, session: Session, *, code: GroupCode, ways: JoinWays, force_sync: bool = False
    ) -> rotation.Plan:
        """Retire groups at the threshold and bring standbys in, then tell WeCom the whole list.

        The caller holds the code's row lock. Returns the plan it applied.
        """
        result = self._plan(session, code)
        now = _now()
        if result.changed or force_sync:
            rotation.apply(result, now=now)
            if code.config_id:
                ways.update(code, result.chat_ids)
            if result.changed:
                code.rotations += 1
                log.info("group_code_rotated", code=str(code.id), chat_ids=result.chat_ids)
                # Joins recorded from callbacks need the group active in Siyu, but WeCom routes
                # scans to it from the join-way update on: a rotation whose transaction then
                # failed (its retry comes seconds later) or callbacks that overtook the one
                # that filled the old group leave joins no callback recorded. A check right
                # after the rotation reads them from the groups' member states.
                enqueue(
                    session,
                    CHECK_CODE_JOB,
                    key=f"{CHECK_CODE_JOB}:{code.id}:{code.rotations}",
                    args={"code_id": str(code.id)},
                    corp_id=code.corp_id,
                )
        threshold = rotation.threshold_of(code)
        if rotation.needs_alert(code, result, threshold=threshold):
            code.exhausted_alerted_at = now
            enqueue(
                session,
                ALERT_JOB,
                key=f"{ALERT_JOB}:{code.id}:{now.isoformat()}",
                args={"code_id": str(code.id), "room_left": result.room_left},
                corp_id=code.corp_id,
            )
        code.last_checked_at = now
        session.flush()
        return result

    def adopt(self, session: Session, *, code: GroupCode, chat_ids: Sequence[str]) -> int:
        """Take rooms WeCom created through auto_create_room into the pool as active groups."""
        known = {s.chat_id for s in repo.slots(session, code.id)}
        position = max((s.position for s in repo.slots(session, code.id)), default=-1) + 1
        adopted = 0
        for chat_id in chat_ids:
            if chat_id in known:
                continue
            group = group_service.get_by_chat_id(session, corp_id=code.corp_id, chat_id=chat_id)
            if group is None:
                continue  # its create callback has not been handled yet; the next check adopts it
            slot = GroupCodeSlot(
                corp_id=code.corp_id,
                code_id=code.id,
                group_id=group.id,
                chat_id=chat_id,
                position=position,
                status=SLOT_ACTIVE,
                activated_at=_now(),
            )
            repo.add(session, slot)
            position += 1
            adopted += 1
        return adopted

    # -- member events (called by siyu.groups.handlers) ----------------------------------------
    def note_member_change(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        chat_id: str,
        joined: Sequence[str],
        join_scene: int | None,
        at: datetime,
    ) -> None:
        """Record joins through the codes whose join way lists this group, and queue a rotation
        when the group reached a code's threshold (once per activation of the slot)."""
        slots = repo.active_slots_of_chat(session, corp_id, chat_id)
        if not slots:
            return
        group = group_service.get_by_chat_id(session, corp_id=corp_id, chat_id=chat_id)
        codes = {c.id: c for c in repo.get_in_corp(session, corp_id, [s.code_id for s in slots])}
        for slot in slots:
            code = codes[slot.code_id]
            if joined and join_scene == QR_SCAN:
                self.record_joins(session, code=code, chat_id=chat_id, members=joined, at=at)
            count = group.member_count if group is not None else 0
            if (
                group is None
                or group.dismissed_at is not None
                or (count >= rotation.threshold_of(code))
            ):
                activated = slot.activated_at.isoformat() if slot.activated_at else "-"
                enqueue(
                    session,
                    ROTATE_JOB,
                    key=f"{ROTATE_JOB}:{code.id}:{slot.id}:{activated}",
                    args={"code_id": str(code.id)},
                    corp_id=corp_id,
                )

    def record_joins(
        self,
        session: Session,
        *,
        code: GroupCode,
        chat_id: str,
        members: Sequence[str],
        at: datetime,
    ) -> None:
        repo.record_joins(
            session,
            [
                {
                    "id": uuid.uuid4(),
                    "corp_id": code.corp_id,
                    "code_id": code.id,
                    "chat_id": chat_id,
                    "member_id": member_id,
                    "state": code.state,
                    "joined_at": at,
                    "joined_on": china_day(at),
                }
                for member_id in members
            ],
        )

    # -- helpers -------------------------------------------------------------------------------
    def _plan(self, session: Session, code: GroupCode) -> rotation.Plan:
        slots = repo.slots(session, code.id)
        groups = group_service.by_ids(
            session, corp_id=code.corp_id, group_ids=[s.group_id for s in slots]
        )
        states = {
            g.chat_id: rotation.GroupState(g.member_count, g.dismissed_at is not None)
            for g in groups
        }
        return rotation.plan(slots, states, threshold=rotation.threshold_of(code))

    def _new_state(self, session: Session, corp_id: uuid.UUID) -> str:
        while True:
            state = f"gc-{secrets.token_hex(6)}"
            if not repo.state_taken(session, corp_id, state):
                return state


def _caller_userid(access: Access) -> str:
    userid = access.membership.staff_userid if access.membership is not None else None
    if not userid:
        raise BadRequest("owner_userid is required (your account is not linked to a staff member)")
    return str(userid)


def _now() -> datetime:
    return utcnow()


group_code_service = GroupCodeService()
