"""Sales stages per corp, moving a customer between them, and the daily counts per stage and
owning staff member.

Days are China calendar days (UTC+8): a move at 23:30 in Shanghai counts for that evening,
not for the UTC date. Counts are kept per staff member who holds an active relation with the
customer, so a person followed by two staff members counts for both.
"""

from __future__ import annotations

import builtins
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer
from siyu.kit.clock import utcnow
from siyu.kit.errors import BadRequest, Conflict, NotFound
from siyu.profile.audit import audited, delete_audited
from siyu.profile.models import SalesStage, StageDailyCount, StageMove
from siyu.profile.repository import profile_repository as repo
from siyu.profile.schemas import SalesStageCreate, SalesStageUpdate
from siyu.profile.schemas import StageDailyCount as StageDailyCountOut
from siyu.profile.timeline import timeline_service

CN_TZ = timezone(timedelta(hours=8))
MAX_RANGE_DAYS = 366


def day_of(moment: datetime) -> date:
    return moment.astimezone(CN_TZ).date()


class StageService:
    def list(self, session: Session, *, corp_id: uuid.UUID) -> builtins.list[SalesStage]:
        return repo.stages(session, corp_id)

    def get_or_404(
        self, session: Session, *, corp_id: uuid.UUID, stage_id: uuid.UUID
    ) -> SalesStage:
        stage = repo.stage(session, corp_id, stage_id)
        if stage is None:
            raise NotFound(f"sales stage {stage_id} does not exist")
        return stage

    def create(self, session: Session, *, corp_id: uuid.UUID, data: SalesStageCreate) -> SalesStage:
        if repo.stage_by_key(session, corp_id, data.key) is not None:
            raise Conflict(f"a sales stage with key {data.key!r} exists")
        stage = SalesStage(corp_id=corp_id, **data.model_dump())
        session.add(stage)
        session.flush()
        audited(session, kind="sales_stage", verb="create", row=stage, details={"key": stage.key})
        return stage

    def update(self, session: Session, *, stage: SalesStage, data: SalesStageUpdate) -> SalesStage:
        changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
        for name, value in changes.items():
            setattr(stage, name, value)
        session.flush()
        audited(session, kind="sales_stage", verb="update", row=stage, details=changes)
        return stage

    def delete(self, session: Session, *, stage: SalesStage) -> None:
        """Customers in the stage leave it (stage_id is set null by the foreign key)."""
        delete_audited(session, kind="sales_stage", row=stage)

    def move(
        self,
        session: Session,
        *,
        customer: Customer,
        stage_id: uuid.UUID | None,
        staff_userid: str | None,
    ) -> StageMove | None:
        """Put the customer in `stage_id`; records the move, its timeline entry and the day's
        counts. Returns None when the customer is already there."""
        if stage_id is not None and repo.stage(session, customer.corp_id, stage_id) is None:
            raise BadRequest(f"sales stage {stage_id} does not exist in this corp")
        if customer.stage_id == stage_id:
            return None
        now = utcnow()
        move = repo.add_move(
            session,
            StageMove(
                corp_id=customer.corp_id,
                customer_id=customer.id,
                from_stage_id=customer.stage_id,
                to_stage_id=stage_id,
                staff_userid=staff_userid,
                moved_at=now,
            ),
        )
        from siyu.customers.service import customer_service

        changes: dict[tuple[uuid.UUID, str], tuple[int, int]] = {}
        for owner in customer_service.active_owners(session, customer=customer):
            if customer.stage_id is not None:
                changes[(customer.stage_id, owner)] = (-1, 0)
            if stage_id is not None:
                changes[(stage_id, owner)] = (1, 1)
        repo.bump_counts(session, corp_id=customer.corp_id, day=day_of(now), changes=changes)
        customer.stage_id = stage_id
        session.flush()
        timeline_service.record(
            session,
            customer=customer,
            kind="stage.moved",
            staff_userid=staff_userid,
            details={"from_stage_id": _text(move.from_stage_id), "to_stage_id": _text(stage_id)},
            occurred_at=now,
            cause=f"move:{move.id}",
        )
        return move

    def snapshot(self, session: Session, *, corp_id: uuid.UUID, at: datetime) -> int:
        """Make the day's counts exact (the periodic job; moves only adjust them)."""
        return repo.snapshot_counts(session, corp_id=corp_id, day=day_of(at))

    def counts(
        self,
        session: Session,
        *,
        scope: DataScope,
        since: date,
        until: date,
        staff_userid: str | None = None,
        per_staff: bool = True,
    ) -> builtins.list[StageDailyCountOut]:
        if until < since:
            raise BadRequest("until is before since")
        if (until - since).days > MAX_RANGE_DAYS:
            raise BadRequest(f"the range is longer than {MAX_RANGE_DAYS} days")
        rows = repo.counts(
            session,
            corp_id=scope.corp_id,
            since=since,
            until=until,
            owner_condition=scope.condition(
                corp_column=StageDailyCount.corp_id, owner_column=StageDailyCount.staff_userid
            ),
            staff_userid=staff_userid,
            per_staff=per_staff,
        )
        # Built without validation: the values come typed from the database.
        return [
            StageDailyCountOut.model_construct(
                day=d, stage_id=s, staff_userid=u, customers=n, entered=e
            )
            for d, s, u, n, e in rows
        ]


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


stage_service = StageService()
