"""Campaign rules: compose and check, preview the reach, plan in the worker, cancel and remind.

The request validates everything (content, audience, scope), previews the reach so an empty or
unreachable audience is a 422 before anything is written, and queues the plan job for the due
time. Planning happens in the worker at send time, so the quota counts are those of that
moment. Planning is serialised per corp (the settings row is locked), so two campaigns planned
at once can never both take a customer's last slot.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth.deps import Access
from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.jobs import enqueue
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.ids import new_id
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.messaging import planner
from siyu.messaging.models import MassCampaign, MassSettings, MassTask
from siyu.messaging.quota import Limits, after_quiet_hours
from siyu.messaging.repository import campaigns, recipients, tasks
from siyu.messaging.schemas import CampaignCreate, MassSettingsUpdate, ReachPreview, StaffReach
from siyu.segments.service import dump_condition, segment_service

if TYPE_CHECKING:
    from siyu.runtime import Runtime

# Any select, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Rows = Select[*tuple[Any, ...]]

PLAN_JOB = "messaging.plan"
SEND_JOB = "messaging.send"
DISPATCH_JOB = "messaging.dispatch"
CHUNK = {"customers": planner.CUSTOMER_CHUNK, "groups": planner.GROUP_CHUNK}
_FINAL = ("finished", "cancelled", "failed")


def scope_of(campaign: MassCampaign) -> DataScope:
    raw = campaign.scope
    return DataScope(
        corp_id=campaign.corp_id,
        kind=ScopeKind(raw.get("kind", "all")),
        staff_userid=raw.get("staff_userid"),
        department_ids=frozenset(raw.get("department_ids", [])),
    )


class MessagingService:
    # -- settings ------------------------------------------------------------------------------
    def settings(self, session: Session, *, corp_id: uuid.UUID, lock: bool = False) -> MassSettings:
        row = campaigns.settings(session, corp_id)
        if row is None:
            row = MassSettings(
                corp_id=corp_id,
                quota_rule="days_in_month",
                daily_cap=1,
                weekly_cap=3,
                quiet_start_hour=22,
                quiet_end_hour=8,
            )
            session.add(row)
            session.flush()
        if lock:
            session.refresh(row, with_for_update=True)
        return row

    def update_settings(
        self, session: Session, *, corp_id: uuid.UUID, data: MassSettingsUpdate
    ) -> MassSettings:
        row = self.settings(session, corp_id=corp_id)
        changes = data.model_dump(exclude_unset=True)
        for name, value in changes.items():
            if value is None and name == "quota_rule":
                raise Unprocessable("quota_rule: cannot be null")
            setattr(row, name, value)
        if (row.quiet_start_hour is None) != (row.quiet_end_hour is None):
            raise Unprocessable("quiet hours need both quiet_start_hour and quiet_end_hour")
        session.flush()
        audit_service.record(
            session, action="messaging.settings.update", target_type="corp", target_id=corp_id,
            details=changes,
        )  # fmt: skip
        return row

    # -- the audience --------------------------------------------------------------------------
    def _people(self, session: Session, scope: DataScope, campaign: MassCampaign) -> Rows:
        condition = None
        if campaign.segment_id is not None:
            segment = segment_service.get_or_404(
                session, corp_id=scope.corp_id, segment_id=campaign.segment_id
            )
            condition = segment_service.condition_of(segment)
        elif campaign.condition is not None:
            condition = segment_service.parse(campaign.condition)
        listed = [uuid.UUID(c) for c in campaign.customer_ids] if campaign.customer_ids else None
        return segment_service.member_ids(
            session, scope=scope, condition=condition, customer_ids=listed
        )

    def _write(
        self, session: Session, campaign: MassCampaign, limits: Limits, send_at: datetime
    ) -> None:
        """Every recipient row of the campaign (planner.py), inside its snapshotted scope."""
        scope = scope_of(campaign)
        if campaign.kind == "groups":
            planner.write_groups(
                session,
                campaign_id=campaign.id,
                scope=scope,
                chat_ids=campaign.chat_ids,
                owner_userids=campaign.owner_userids,
                limits=limits,
                send_at=send_at,
                chunk_size=CHUNK["groups"],
            )
            return
        planner.write_customers(
            session,
            campaign_id=campaign.id,
            scope=scope,
            audience=self._people(session, scope, campaign),
            owner_rule=campaign.owner_rule,
            limits=limits,
            send_at=send_at,
            chunk_size=CHUNK["customers"],
        )

    def _draft(self, access: Access, data: CampaignCreate, now: datetime) -> MassCampaign:
        scope = access.scope
        return MassCampaign(
            id=new_id(),
            corp_id=access.corp_id,
            kind=data.kind,
            name=data.name,
            text=data.text,
            attachments=[a.wecom() for a in data.attachments],
            material_ids=[str(m) for m in data.material_ids],
            segment_id=data.segment_id,
            condition=dump_condition(data.condition) if data.condition is not None else None,
            customer_ids=[str(c) for c in dict.fromkeys(data.customer_ids)]
            if data.customer_ids
            else None,
            chat_ids=list(dict.fromkeys(data.chat_ids)) if data.chat_ids else None,
            owner_userids=list(dict.fromkeys(data.owner_userids)) if data.owner_userids else None,
            owner_rule=data.owner_rule,
            scope={
                "kind": scope.kind.value,
                "staff_userid": scope.staff_userid,
                "department_ids": sorted(scope.department_ids),
            },
            status="scheduled",
            due_at=(data.send_at or now).astimezone(UTC),
            created_by_label=access.principal.label,
        )

    # -- preview and create --------------------------------------------------------------------
    def preview(
        self, session: Session, *, access: Access, data: CampaignCreate, now: datetime
    ) -> ReachPreview:
        draft = self._draft(access, data, now)
        return self._preview(session, draft, now)

    def _preview(self, session: Session, draft: MassCampaign, now: datetime) -> ReachPreview:
        """The plan's own steps in a savepoint, counted and rolled back."""
        settings = self.settings(session, corp_id=draft.corp_id)
        if draft.due_at < now - timedelta(minutes=1):
            raise Unprocessable("send_at is in the past")
        send_at = after_quiet_hours(settings, max(draft.due_at, now))
        savepoint = session.begin_nested()
        try:
            session.add(draft)
            session.flush()
            self._write(session, draft, Limits.of(settings, send_at), send_at)
            counted = planner.tally(session, draft.id)
        finally:
            savepoint.rollback()
        tasks_per_staff: dict[str, int] = defaultdict(int)
        for staff, _, _ in counted.chunks(CHUNK[draft.kind]):
            tasks_per_staff[staff] += 1
        senders = [
            StaffReach(staff_userid=s, reachable=r, left_out=lo, tasks=tasks_per_staff[s])
            for s, (r, lo) in sorted(counted.per_staff.items())
        ]
        return ReachPreview(
            audience=counted.audience,
            reachable=counted.reachable,
            left_out=dict(counted.left_out),
            staff=senders,
            tasks=sum(s.tasks for s in senders),
            send_at=send_at,
            moved_by_quiet_hours=send_at != max(draft.due_at, now),
        )

    def create(
        self, session: Session, *, access: Access, data: CampaignCreate, now: datetime
    ) -> MassCampaign:
        if data.material_ids:
            from siyu.materials.service import materials_service

            materials_service.check_attachable(
                session, corp_id=access.corp_id, material_ids=data.material_ids
            )
        campaign = self._draft(access, data, now)
        reach = self._preview(session, campaign, now)
        if reach.audience == 0:
            raise Unprocessable("the audience is empty", code="empty_audience")
        if reach.reachable == 0:
            raise Unprocessable(
                "nobody in the audience can receive it now",
                code="nobody_reachable",
                details={"left_out": reach.left_out},
            )
        if reach.moved_by_quiet_hours:
            campaign.requested_at = max(campaign.due_at, now)
        campaign.due_at = reach.send_at
        campaign.audience_count, campaign.reachable_count = reach.audience, reach.reachable
        campaign.left_out = reach.left_out
        campaigns.add(session, campaign)
        audit_service.record(
            session, action="messaging.campaign.create", target_type="mass_campaign",
            target_id=campaign.id, details={"name": campaign.name, "kind": campaign.kind},
        )  # fmt: skip
        self._enqueue_plan(session, campaign)
        return campaign

    def _enqueue_plan(self, session: Session, campaign: MassCampaign) -> None:
        enqueue(
            session,
            PLAN_JOB,
            key=f"{PLAN_JOB}:{campaign.id}",
            args={"campaign_id": str(campaign.id)},
            corp_id=campaign.corp_id,
            run_at=campaign.due_at,
        )

    # -- reads ---------------------------------------------------------------------------------
    def get_or_404(
        self, session: Session, *, scope: DataScope, campaign_id: uuid.UUID
    ) -> MassCampaign:
        campaign = campaigns.get(session, scope, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist")
        return campaign

    def page(
        self, session: Session, *, scope: DataScope, cursor: str | None, limit: int
    ) -> tuple[list[MassCampaign], str | None]:
        rows = campaigns.page(session, scope, before_id=decode_id_cursor(cursor), limit=limit + 1)
        return split_id_page(rows, limit)

    def tasks(
        self, session: Session, *, scope: DataScope, campaign: MassCampaign
    ) -> list[MassTask]:
        return tasks.of_campaign(session, campaign.id, scope)

    # -- the worker side -----------------------------------------------------------------------
    def plan(
        self,
        session: Session,
        *,
        campaign_id: uuid.UUID,
        now: datetime,
        runtime: Runtime | None = None,
    ) -> None:
        """Write the recipient rows and tasks, then queue each sender's first chunk."""
        campaign = campaigns.lock(session, campaign_id)
        if campaign is None or campaign.status != "scheduled" or campaign.due_at > now:
            return
        settings = self.settings(session, corp_id=campaign.corp_id, lock=True)
        send_at = after_quiet_hours(settings, now)
        if send_at != now:  # a late worker woke inside quiet hours: wait for their end
            campaign.due_at = send_at
            enqueue(
                session, PLAN_JOB, key=f"{PLAN_JOB}:{campaign.id}:{send_at.isoformat()}",
                args={"campaign_id": str(campaign.id)}, corp_id=campaign.corp_id, run_at=send_at,
            )  # fmt: skip
            return
        if campaign.material_ids and runtime is not None:
            self._resolve_materials(session, campaign, runtime)
        self._write(session, campaign, Limits.of(settings, now), now)
        self.finish_plan(session, campaign, now)

    def _resolve_materials(
        self, session: Session, campaign: MassCampaign, runtime: Runtime
    ) -> None:
        """Library materials become attachments with media ids valid for days (uploaded now
        if the cached ones are stale), once per campaign, so every chunk sends the same."""
        from siyu.corps.service import corp_service
        from siyu.materials.service import materials_service

        entries = materials_service.wecom_attachments(
            session,
            corp=corp_service.get_or_404(session, campaign.corp_id),
            runtime=runtime,
            material_ids=[uuid.UUID(m) for m in campaign.material_ids],
            purpose="mass_message",
        )
        campaign.attachments = [*campaign.attachments, *entries]
        campaign.material_ids = []

    def finish_plan(self, session: Session, campaign: MassCampaign, now: datetime) -> None:
        """Totals, task rows and the first send job of each sender."""
        counted = planner.tally(session, campaign.id)
        campaign.audience_count, campaign.reachable_count = counted.audience, counted.reachable
        campaign.left_out, campaign.planned_at = dict(counted.left_out), now
        rows = [
            {
                "id": new_id(), "campaign_id": campaign.id, "corp_id": campaign.corp_id,
                "staff_userid": staff, "chunk": chunk, "recipients": n, "status": "pending",
                "fail_count": 0, "reminders": [], "created_at": now, "updated_at": now,
            }
            for staff, chunk, n in counted.chunks(CHUNK[campaign.kind])
        ]  # fmt: skip
        tasks.insert_many(session, rows)
        # The next plan counts over these rows: its planner must know they exist.
        recipients.refresh_statistics(session)
        campaign.status = "sending" if rows else "finished"
        if not rows:
            campaign.finished_at, campaign.error = now, "nobody in the audience could receive it"
        else:
            # The send jobs are queued by their own job: the plan's transaction (which holds
            # SQLite's write lock) stays as short as the SQL.
            enqueue(
                session, DISPATCH_JOB, key=f"{DISPATCH_JOB}:{campaign.id}",
                args={"campaign_id": str(campaign.id)}, corp_id=campaign.corp_id,
            )  # fmt: skip
        session.flush()

    def dispatch(self, session: Session, *, campaign_id: uuid.UUID) -> None:
        """Queue each sender's first chunk (the next ones follow as each is recorded)."""
        for task in tasks.of_campaign(session, campaign_id):
            if task.chunk == 0 and task.status == "pending":
                self.enqueue_send(session, task)

    def enqueue_send(self, session: Session, task: MassTask) -> None:
        enqueue(
            session, SEND_JOB, key=f"{SEND_JOB}:{task.id}", args={"task_id": str(task.id)},
            corp_id=task.corp_id,
        )  # fmt: skip

    def after_send(self, session: Session, campaign: MassCampaign, task: MassTask) -> None:
        """The sender's next chunk, and the campaign is `sent` once no task is pending."""
        following = tasks.next_chunk(session, task)
        if following is not None and following.status == "pending":
            self.enqueue_send(session, following)
        session.flush()
        if campaign.status == "sending" and tasks.pending_count(session, campaign.id) == 0:
            campaign.status = "sent"

    # -- cancel ----------------------------------------------------------------------------------
    def cancel(
        self, session: Session, *, campaign: MassCampaign, client: Any, now: datetime
    ) -> MassCampaign:
        """Stop it: nothing more is created, and WeCom cancels tasks nobody confirmed yet."""
        if campaign.status in _FINAL:
            raise Conflict(f"the campaign is already {campaign.status}")
        for task in tasks.of_campaign(session, campaign.id):
            if task.status == "pending":
                task.status = "cancelled"
                recipients.set_status(session, task, "cancelled")
            elif task.status == "created" and task.wecom_status != 2 and task.msgid:
                client.cancel_groupmsg_send(msgid=task.msgid)
                task.status = "cancelled"
                recipients.set_status(session, task, "cancelled", where_status=("sent",))
        campaign.status, campaign.cancelled_at = "cancelled", now
        session.flush()
        audit_service.record(
            session, action="messaging.campaign.cancel", target_type="mass_campaign",
            target_id=campaign.id,
        )  # fmt: skip
        return campaign

    def opt_out(
        self, session: Session, *, corp_id: uuid.UUID, customer_ids: list[uuid.UUID]
    ) -> None:
        campaigns.opt_out(session, corp_id, customer_ids)

    def known_customer_ids(
        self, session: Session, scope: DataScope, ids: list[uuid.UUID]
    ) -> set[uuid.UUID]:
        stmt = segment_service.member_ids(session, scope=scope, condition=None, customer_ids=ids)
        return set(session.scalars(select(stmt.subquery().c[0])))


messaging_service = MessagingService()
