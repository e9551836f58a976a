"""Bulk tag and untag over a selection or a segment.

The request validates everything (tags, selection, scope) and counts the people, then queues
step 0. Each step takes the next few hundred people after the checkpoint (ascending ids, so a
resumed job continues exactly where it stopped) and:

- Siyu tags (groups of origin "siyu"): writes or deletes the person's links directly;
- WeCom corp tags: records one mark_tag per live relation that lacks (or has) the tag, owned
  inside the requester's scope; the `tags.push` jobs carry them to WeCom through the
  rate-limited client, and the relation's tags change when WeCom has accepted.

The requester's scope is snapshotted on the job, so the worker never widens it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth.deps import Access
from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound, SiyuError, Unprocessable
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.segments import facts as segment_facts
from siyu.segments.repository import people
from siyu.segments.service import dump_condition, segment_service
from siyu.tags.bulk.models import BulkTagJob, BulkTagStatus
from siyu.tags.bulk.repository import bulk_tag_jobs
from siyu.tags.bulk.schemas import BulkTagCreate
from siyu.tags.bulk.visibility import covers
from siyu.tags.models import ORIGIN_SIYU, TAG_TYPE_CORP, Tag
from siyu.tags.queries import tag_queries
from siyu.tags.service import tag_service

STEP_JOB = "tags.bulk"
STEP_SIZE = 200
_FINISHED = (BulkTagStatus.done, BulkTagStatus.cancelled, BulkTagStatus.failed)


def _scope_of(job: BulkTagJob) -> DataScope:
    raw = job.scope
    return DataScope(
        corp_id=job.corp_id,
        kind=ScopeKind(raw["kind"]),
        staff_userid=raw.get("staff_userid"),
        department_ids=frozenset(raw.get("department_ids", [])),
    )


class BulkTagService:
    def request(self, session: Session, *, access: Access, data: BulkTagCreate) -> BulkTagJob:
        self._split_tags(session, access.corp_id, data.tag_ids)  # 422 before anything is written
        condition = data.condition
        if data.segment_id is not None:
            segment = segment_service.get_or_404(
                session, corp_id=access.corp_id, segment_id=data.segment_id
            )
            condition = segment_service.condition_of(segment)
        scope = access.scope
        job = BulkTagJob(
            corp_id=access.corp_id,
            action=data.action,
            tag_ids=[str(t) for t in dict.fromkeys(data.tag_ids)],
            customer_ids=[str(c) for c in data.customer_ids] if data.customer_ids else None,
            condition=dump_condition(condition) if condition is not None else None,
            segment_id=data.segment_id,
            scope={
                "kind": scope.kind.value,
                "staff_userid": scope.staff_userid,
                "department_ids": sorted(scope.department_ids),
            },
            requested_by_label=access.principal.label,
        )
        job.total = people.count(session, self._where(session, job))
        if condition is not None:
            segment_service.record(session, access=access, condition=condition, purpose="bulk_tag")
        bulk_tag_jobs.add(session, job)
        audit_service.record(
            session,
            action=f"customer.tags.bulk_{data.action}",
            target_type="bulk_tag_job",
            target_id=job.id,
            details={"tag_ids": job.tag_ids, "total": job.total, "segment_id": data.segment_id},
        )
        self._enqueue_step(session, job)
        return job

    def get_or_404(self, session: Session, *, access: Access, job_id: uuid.UUID) -> BulkTagJob:
        """The job, for any member whose scope covers the job's (404 to the others)."""
        job = bulk_tag_jobs.get(session, access.corp_id, job_id)
        if job is None or not covers(session, access.scope, _scope_of(job)):
            raise NotFound(f"bulk tag job {job_id} does not exist")
        return job

    def page(
        self, session: Session, *, access: Access, cursor: str | None, limit: int
    ) -> tuple[list[BulkTagJob], str | None]:
        """Newest first, the jobs `access` may read. Scopes are JSON snapshots, so the test
        runs here over id-ordered slices (a corp's manual bulk jobs are few)."""
        before = decode_id_cursor(cursor)
        visible: list[BulkTagJob] = []
        while len(visible) <= limit:
            rows = bulk_tag_jobs.page(session, access.corp_id, before_id=before, limit=200)
            visible += [j for j in rows if covers(session, access.scope, _scope_of(j))]
            if len(rows) < 200:
                break
            before = rows[-1].id
        return split_id_page(visible[: limit + 1], limit)

    def cancel(self, session: Session, *, job: BulkTagJob) -> BulkTagJob:
        if job.status in _FINISHED:
            raise Conflict(f"the job is already {job.status}")
        job.status = BulkTagStatus.cancelled
        job.finished_at = utcnow()
        session.flush()
        audit_service.record(
            session,
            action="customer.tags.bulk_cancel",
            target_type="bulk_tag_job",
            target_id=job.id,
        )
        return job

    # -- the worker side -----------------------------------------------------------------------
    def run_step(self, session: Session, *, job_id: uuid.UUID, step: int) -> None:
        """One step; a duplicate or stale delivery (the step already done) changes nothing."""
        job = bulk_tag_jobs.lock(session, job_id)
        if job is None or job.status in _FINISHED or job.step != step:
            return
        try:
            self._step(session, job)
        except SiyuError as exc:  # e.g. a tag deleted while the job ran: say so and stop
            job.status = BulkTagStatus.failed
            job.error = exc.message
            job.finished_at = utcnow()

    def _step(self, session: Session, job: BulkTagJob) -> None:
        siyu_tags, wecom_tags = self._split_tags(
            session, job.corp_id, [uuid.UUID(t) for t in job.tag_ids]
        )
        ids = people.ids_after(
            session, self._where(session, job), after_id=job.last_customer_id, limit=STEP_SIZE
        )
        if siyu_tags and ids:
            if job.action == "add":
                job.siyu_changes += bulk_tag_jobs.add_person_tags(
                    session, job.corp_id, ids, siyu_tags, source=f"bulk:{job.id}"
                )
            else:
                job.siyu_changes += bulk_tag_jobs.remove_person_tags(session, ids, siyu_tags)
            segment_facts.touch(session, ids)  # Core writes: the segment index must hear of them
        if wecom_tags and ids:
            job.wecom_marks += self._queue_marks(session, job, ids, wecom_tags)
        job.processed += len(ids)
        job.step += 1
        if ids:
            job.last_customer_id = ids[-1]
        if len(ids) < STEP_SIZE:
            job.status = BulkTagStatus.done
            job.finished_at = utcnow()
        else:
            job.status = BulkTagStatus.running
            self._enqueue_step(session, job)
        session.flush()

    def _queue_marks(
        self, session: Session, job: BulkTagJob, ids: list[uuid.UUID], tags: list[uuid.UUID]
    ) -> int:
        relations = bulk_tag_jobs.live_relations(session, _scope_of(job), ids)
        has = bulk_tag_jobs.relation_tags(session, [r.id for r in relations], tags)
        queued = 0
        for relation in relations:
            if job.action == "add":
                change = [t for t in tags if (relation.id, t) not in has]
            else:
                change = [t for t in tags if (relation.id, t) in has]
            if not change:
                continue  # nothing to tell WeCom: spare the quota
            tag_service.queue_mark(
                session,
                corp_id=job.corp_id,
                relation_id=relation.id,
                staff_userid=relation.staff_userid,
                external_userid=relation.external_userid,
                add=change if job.action == "add" else [],
                remove=change if job.action == "remove" else [],
            )
            queued += 1
        return queued

    # -- helpers -------------------------------------------------------------------------------
    def _where(self, session: Session, job: BulkTagJob) -> ColumnElement[bool]:
        condition = segment_service.parse(job.condition) if job.condition is not None else None
        where = segment_service.where(session, scope=_scope_of(job), condition=condition)
        if job.customer_ids is not None:
            where = and_(where, people.among([uuid.UUID(c) for c in job.customer_ids]))
        return where

    def _split_tags(
        self, session: Session, corp_id: uuid.UUID, tag_ids: list[uuid.UUID]
    ) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        """(Siyu tags, WeCom corp tags); 422 naming each tag that cannot be bulk-applied."""
        found: dict[uuid.UUID, Tag] = {
            t.id: t for t in tag_service.get_tags(session, corp_id=corp_id, tag_ids=tag_ids)
        }
        problems: list[dict[str, Any]] = []
        siyu: list[uuid.UUID] = []
        wecom: list[uuid.UUID] = []
        for index, tag_id in enumerate(dict.fromkeys(tag_ids)):
            tag = found.get(tag_id)
            path = f"tag_ids[{index}]"
            if tag is None or tag.deleted_at is not None:
                problems.append({"path": path, "message": f"tag {tag_id} does not exist"})
                continue
            group = tag_queries.get_group(session, corp_id, tag.group_id)
            if group is not None and group.origin == ORIGIN_SIYU:
                siyu.append(tag_id)
            elif tag.type == TAG_TYPE_CORP:
                wecom.append(tag_id)
            else:
                problems.append(
                    {"path": path, "message": "only corp tags can be marked through WeCom"}
                )
        if problems:
            raise Unprocessable(
                f"{problems[0]['path']}: {problems[0]['message']}", details=problems
            )
        return siyu, wecom

    def _enqueue_step(self, session: Session, job: BulkTagJob) -> None:
        enqueue(
            session,
            STEP_JOB,
            key=f"tags.bulk:{job.id}:{job.step}",
            args={"job_id": str(job.id), "step": job.step},
            corp_id=job.corp_id,
        )


bulk_tag_service = BulkTagService()
