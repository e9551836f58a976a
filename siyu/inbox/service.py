"""Inbox rules: the dedup key, store-once, processing with the outcome mirrored on the row,
replay and re-drive."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.orm import Session

from siyu.corps.service import corp_service
from siyu.inbox.handlers import (
    HandlerContext,
    PrefetchContext,
    UnsupportedCallbackEvent,
    event_key,
    get_registration,
)
from siyu.inbox.models import InboxEvent, InboxStatus
from siyu.inbox.repository import inbox_events
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFound
from siyu.kit.ids import new_id
from siyu.telemetry.metrics import inbox_events_total
from siyu.wecom.events import CallbackEvent, UnknownEvent, parse_event

if TYPE_CHECKING:
    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.inbox")

HANDLE_JOB = "inbox.handle"
FAN_OUT_JOB = "inbox.fan_out"
_KEY_LIMIT = 255
# Envelope fields that say nothing about which event this is.
_NOT_IDENTITY = frozenset({"ToUserName", "FromUserName", "MsgType", "Event", "ChangeType"})


@dataclass(frozen=True)
class Prefetched:
    """A stored event, parsed, with what its handler's prefetch returned."""

    event: CallbackEvent | UnknownEvent
    value: Any


def dedup_key(event: CallbackEvent | UnknownEvent) -> str:
    """Event, ChangeType, the event's own ids and CreateTime, joined with ':'.

    WeCom advises FromUserName + CreateTime, but FromUserName is always "sys" for these
    events, so the ids take its place (API-FACTS §2.2). Modelled events use `event.key()`,
    which lists their fields in a fixed order; unknown ones use every non-envelope field.
    Keys longer than the column keep a readable prefix and end in a digest of the whole.
    """
    if isinstance(event, UnknownEvent):
        values = [
            f"{tag}={value}"
            for tag, value in sorted(event.fields.items())
            if tag not in _NOT_IDENTITY and tag != "CreateTime"
        ]
        key = ":".join(
            [event.event, event.change_type or "", *values, str(event.fields.get("CreateTime"))]
        )
    else:
        key = event.key()
    if len(key) <= _KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: _KEY_LIMIT - 65]}#{digest}"


def create_time_of(event: CallbackEvent | UnknownEvent) -> int:
    if isinstance(event, UnknownEvent):
        try:
            return int(event.fields.get("CreateTime") or 0)
        except (TypeError, ValueError):
            return 0
    return event.create_time


class InboxService:
    def new_row(
        self, *, corp_id: uuid.UUID, event: CallbackEvent | UnknownEvent, payload: str
    ) -> dict[str, Any]:
        """The values of an inbox row for a verified, parsed callback (id chosen here, so the
        caller learns from the insert whether its event was new)."""
        name, change_type = event_key(event)
        now = utcnow()
        return {
            "id": new_id(),
            "corp_id": corp_id,
            "dedup_key": dedup_key(event),
            "event": name[:64],
            "change_type": change_type[:64] if change_type else None,
            "create_time": create_time_of(event),
            "payload": payload,
            "status": InboxStatus.pending,
            "attempts": 0,
            "received_at": now,
            "updated_at": now,
        }

    def store(self, session: Session, *, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """Insert the rows not seen before; returns their ids (a duplicate gets no row).

        The new rows get one `inbox.fan_out` job in the same transaction rather than a job
        each: that job enqueues the per-event `inbox.handle` jobs from a worker. It keeps the
        gateway's transaction to two statements and one wake-up per batch, whatever its size,
        and loses nothing: the fan-out job commits or rolls back with the rows it names.
        """
        new_ids = inbox_events.insert_new(session, rows)
        if new_ids:
            ordered = [str(row["id"]) for row in rows if row["id"] in new_ids]
            enqueue(session, FAN_OUT_JOB, key=f"inbox-batch:{ordered[0]}", args={"ids": ordered})
        return new_ids

    def fan_out(self, session: Session, *, event_ids: Sequence[uuid.UUID]) -> int:
        """Enqueue `inbox.handle` for each stored event (keyed, so a repeated fan-out is a no-op).
        Returns how many jobs were new."""
        created = 0
        for event_id in event_ids:
            row = inbox_events.get(session, event_id)
            if row is None:
                continue
            if enqueue(
                session,
                HANDLE_JOB,
                key=f"inbox:{event_id}",
                args={"inbox_event_id": str(event_id)},
                corp_id=row.corp_id,
            ):
                created += 1
        return created

    @staticmethod
    def _enqueue(
        session: Session,
        event_id: uuid.UUID,
        corp_id: uuid.UUID,
        *,
        key: str,
        replay: bool = False,
    ) -> None:
        args: dict[str, Any] = {"inbox_event_id": str(event_id)}
        if replay:
            args["replay"] = True
        enqueue(session, HANDLE_JOB, key=key, args=args, corp_id=corp_id)

    # -- processing (inside the `inbox.handle` job) -----------------------------------------
    def prefetch(
        self, *, runtime: Runtime, event_id: uuid.UUID, replay: bool = False
    ) -> Prefetched | None:
        """Before the write transaction: read the row (a read transaction holds no write lock)
        and run the handler's prefetch, which may call WeCom. None: nothing to do."""
        with runtime.db.transaction(write=False) as session:
            row = inbox_events.get(session, event_id)
            if row is None or (row.status == InboxStatus.handled and not replay):
                return None
            payload, corp_id, received_at = row.payload, row.corp_id, row.received_at
            corp = corp_service.get_or_404(session, corp_id)
            session.expunge(corp)
        event = parse_event(payload)
        try:
            registration = get_registration(event)
        except UnsupportedCallbackEvent:
            return Prefetched(event, None)  # `process` records it
        if registration.prefetch is None:
            return Prefetched(event, None)
        context = PrefetchContext(corp, runtime, utcnow(), event_id, received_at)
        return Prefetched(event, registration.prefetch(context, event))

    def process(
        self,
        session: Session,
        *,
        runtime: Runtime,
        event_id: uuid.UUID,
        attempt: int,
        replay: bool = False,
        prefetched: Prefetched | None = None,
    ) -> InboxStatus | None:
        """Run the registered handler for one stored event and record the outcome on its row.

        Returns None when there is nothing to do: the row was pruned, or it is already handled
        and this is not a replay (another worker may have finished it while we prefetched).
        Handler exceptions propagate (the job retries).
        """
        row = inbox_events.get(session, event_id)
        if row is None:
            log.info("inbox_event_gone", inbox_event_id=str(event_id))
            return None
        if row.status == InboxStatus.handled and not replay:
            return None
        event = prefetched.event if prefetched is not None else parse_event(row.payload)
        now = utcnow()
        try:
            registration = get_registration(event)
        except UnsupportedCallbackEvent as exc:
            log.info("callback_unsupported", callback_event=exc.event, change_type=exc.change_type)
            self._finish(session, row, InboxStatus.unsupported, attempt, None, now)
            return InboxStatus.unsupported
        corp = corp_service.get_or_404(session, row.corp_id)
        context = HandlerContext(session, corp, runtime, row.id, attempt, now, replay)
        if registration.prefetch is not None:
            context.prefetched = (
                prefetched.value
                if prefetched is not None
                else registration.prefetch(
                    PrefetchContext(corp, runtime, now, row.id, row.received_at), event
                )
            )
        registration.handle(context, event)
        self._finish(session, row, InboxStatus.handled, attempt, None, utcnow())
        return InboxStatus.handled

    def record_failure(
        self, session: Session, *, event_id: uuid.UUID, attempt: int, error: str, dead: bool
    ) -> None:
        """Mirror a failed attempt: `failed` while the job will retry, `dead` when it will not."""
        row = inbox_events.get(session, event_id)
        if row is None:
            return
        status = InboxStatus.dead if dead else InboxStatus.failed
        self._finish(session, row, status, attempt, error, utcnow())
        log.warning(
            "inbox_event_failed",
            inbox_event_id=str(event_id),
            status=str(status),
            attempt=attempt,
            error=error,
        )

    @staticmethod
    def _finish(
        session: Session,
        row: InboxEvent,
        status: InboxStatus,
        attempt: int,
        error: str | None,
        now: datetime,
    ) -> None:
        inbox_events.set_outcome(
            session, row.id, status=status, attempts=attempt, error=error, now=now
        )
        inbox_events_total.labels(row.event, row.change_type or "", str(status)).inc()

    # -- console / CLI -----------------------------------------------------------------------
    def search(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID | None,
        status: str | None = None,
        event: str | None = None,
        change_type: str | None = None,
        before_id: uuid.UUID | None = None,
        limit: int = 50,
    ) -> list[InboxEvent]:
        return inbox_events.search(
            session,
            corp_id=corp_id,
            status=status,
            event=event,
            change_type=change_type,
            before_id=before_id,
            limit=limit,
        )

    def get_or_404(
        self, session: Session, *, corp_id: uuid.UUID | None, event_id: uuid.UUID
    ) -> InboxEvent:
        row = (
            inbox_events.get(session, event_id)
            if corp_id is None
            else inbox_events.get_for_corp(session, corp_id, event_id)
        )
        if row is None:
            raise NotFound(f"inbox event {event_id} does not exist")
        return row

    def replay(self, session: Session, *, row: InboxEvent) -> InboxEvent:
        """Run the handler again, whatever the row's state (handlers are idempotent)."""
        row.status = InboxStatus.pending
        row.updated_at = utcnow()
        session.flush()
        self._enqueue(
            session, row.id, row.corp_id, key=f"inbox:{row.id}:replay:{new_id()}", replay=True
        )
        return row

    def redrive(self, session: Session, *, corp_id: uuid.UUID | None) -> list[uuid.UUID]:
        """Put every dead row back in line with a fresh job (and so a fresh attempt budget)."""
        ids = inbox_events.ids_with_status(session, corp_id=corp_id, status=InboxStatus.dead)
        for event_id in ids:
            row = inbox_events.get(session, event_id)
            assert row is not None
            row.status = InboxStatus.pending
            row.updated_at = utcnow()
            self._enqueue(session, row.id, row.corp_id, key=f"inbox:{row.id}:redrive:{new_id()}")
        session.flush()
        return ids

    def prune(self, session: Session, *, retention_days: int, now: datetime | None = None) -> int:
        """Delete handled rows older than the retention; failed, dead and unsupported rows stay
        for someone to look at."""
        cutoff = (now or utcnow()) - timedelta(days=retention_days)
        return inbox_events.delete_handled_before(session, cutoff=cutoff)

    def counts(self, session: Session, *, corp_id: uuid.UUID | None) -> dict[str, int]:
        return inbox_events.counts_by_status(session, corp_id=corp_id)


inbox_service = InboxService()
