"""SQL for the client's shared state (token cache, rate windows, concurrency slots, journal).

Each method runs in its own short transaction: these rows coordinate processes and must never
ride on a caller's transaction (a rolled-back request must not un-take a slot or a token).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.db.dialect import insert_ignoring_conflicts, lock_for_claim
from siyu.db.session import Database
from siyu.kit.clock import utcnow
from siyu.wecom.models import WeComCall, WeComRateWindow, WeComSlot, WeComToken


class DbStore:
    """The shared store on the application database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- tokens ---------------------------------------------------------------------------
    def get_token(self, key: str) -> tuple[str, datetime] | None:
        with self.db.transaction(write=False) as session:
            row = session.get(WeComToken, key)
            if row is None or row.access_token is None or row.expires_at is None:
                return None
            return row.access_token, row.expires_at

    def lease_refresh(self, key: str, holder: str, seconds: float) -> bool:
        """Claim the right to fetch a new token; False while another process holds it."""
        now = utcnow()
        with self.db.transaction() as session:
            session.execute(
                insert_ignoring_conflicts(
                    session, WeComToken, {"key": key}, conflict_columns=["key"]
                )
            )
            result = session.execute(
                update(WeComToken)
                .where(
                    WeComToken.key == key,
                    or_(
                        WeComToken.refresh_lease_until.is_(None),
                        WeComToken.refresh_lease_until < now,
                    ),
                )
                .values(refresh_lease_until=now + timedelta(seconds=seconds), refresh_holder=holder)
            )
            return _rowcount(result) == 1

    def put_token(self, key: str, token: str, expires_at: datetime) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(WeComToken)
                .where(WeComToken.key == key)
                .values(
                    access_token=token,
                    expires_at=expires_at,
                    refresh_lease_until=None,
                    refresh_holder=None,
                )
            )

    def end_refresh(self, key: str, holder: str) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(WeComToken)
                .where(WeComToken.key == key, WeComToken.refresh_holder == holder)
                .values(refresh_lease_until=None, refresh_holder=None)
            )

    def drop_token(self, key: str, token: str) -> None:
        """Forget `token` unless another process already replaced it."""
        with self.db.transaction() as session:
            session.execute(
                update(WeComToken)
                .where(WeComToken.key == key, WeComToken.access_token == token)
                .values(access_token=None, expires_at=None)
            )

    # -- rate windows ---------------------------------------------------------------------
    def take(self, corp: str, api: str, window: int, want: int, limit: int) -> int:
        """Hand out up to `want` of the window's remaining calls; returns how many."""
        with self.db.transaction() as session:
            session.execute(
                insert_ignoring_conflicts(
                    session,
                    WeComRateWindow,
                    {"corp": corp, "api": api, "window": window, "used": 0},
                    conflict_columns=["corp", "api", "window"],
                )
            )
            key = (
                WeComRateWindow.corp == corp,
                WeComRateWindow.api == api,
                WeComRateWindow.window == window,
            )
            # Write first so the row is locked (PostgreSQL) before reading what is left.
            session.execute(update(WeComRateWindow).where(*key).values(used=WeComRateWindow.used))
            used = session.scalar(select(WeComRateWindow.used).where(*key)) or 0
            granted = max(0, min(want, limit - used))
            if granted:
                session.execute(
                    update(WeComRateWindow).where(*key).values(used=WeComRateWindow.used + granted)
                )
            session.execute(
                delete(WeComRateWindow).where(
                    WeComRateWindow.corp == corp,
                    WeComRateWindow.api == api,
                    WeComRateWindow.window < window - 5,
                )
            )
            return granted

    # -- concurrency slots ----------------------------------------------------------------
    def lease_slot(self, corp: str, api: str, cap: int, holder: str, until: datetime) -> int | None:
        """Claim a free slot below `cap`; None when all are held by live leases."""
        now = utcnow()
        with self.db.transaction() as session:
            session.execute(
                insert_ignoring_conflicts(
                    session,
                    WeComSlot,
                    [{"corp": corp, "api": api, "slot": n} for n in range(cap)],
                    conflict_columns=["corp", "api", "slot"],
                )
            )
            # PostgreSQL: the first free slot no other transaction is claiming (SKIP LOCKED).
            # Without it, threads leasing at once all went for the lowest free slot and queued
            # on its row lock, each loser waiting for the winner's commit and trying the next.
            claim = select(WeComSlot.slot).where(
                WeComSlot.corp == corp,
                WeComSlot.api == api,
                WeComSlot.slot < cap,
                or_(WeComSlot.lease_until.is_(None), WeComSlot.lease_until < now),
            )
            claim = lock_for_claim(session, claim.order_by(WeComSlot.slot).limit(1))
            free: list[int] = list(session.scalars(claim))
            for slot in free:
                # The lease predicate is re-checked on the row, so of two processes racing for
                # one slot (SQLite's writers take turns anyway) exactly one updates it.
                result = session.execute(
                    update(WeComSlot)
                    .where(
                        WeComSlot.corp == corp,
                        WeComSlot.api == api,
                        WeComSlot.slot == slot,
                        or_(WeComSlot.lease_until.is_(None), WeComSlot.lease_until < now),
                    )
                    .values(holder=holder, lease_until=until)
                )
                if _rowcount(result) == 1:
                    return slot
            return None

    def renew_slot(self, corp: str, api: str, slot: int, holder: str, until: datetime) -> bool:
        with self.db.transaction() as session:
            result = session.execute(
                update(WeComSlot)
                .where(
                    WeComSlot.corp == corp,
                    WeComSlot.api == api,
                    WeComSlot.slot == slot,
                    WeComSlot.holder == holder,
                    WeComSlot.lease_until >= utcnow(),
                )
                .values(lease_until=until)
            )
            return _rowcount(result) == 1

    def release_slots(self, corp: str, api: str, slots: Sequence[int], holder: str) -> None:
        if not slots:
            return
        with self.db.transaction() as session:
            session.execute(
                update(WeComSlot)
                .where(
                    WeComSlot.corp == corp,
                    WeComSlot.api == api,
                    WeComSlot.slot.in_(list(slots)),
                    WeComSlot.holder == holder,
                )
                .values(holder=None, lease_until=None)
            )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class CallRepository:
    def insert_many(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            session.execute(insert(WeComCall), list(rows))

    def delete_before(self, session: Session, *, before: datetime) -> int:
        result = session.execute(delete(WeComCall).where(WeComCall.started_at < before))
        return _rowcount(result)

    def list(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        api: str | None,
        errcode: int | None,
        before_id: uuid.UUID | None,
        limit: int,
    ) -> list[WeComCall]:
        """Newest first by id (UUIDv7); `before_id` is the keyset cursor."""
        stmt = select(WeComCall).where(WeComCall.corp_id == corp_id)
        if api:
            stmt = stmt.where(WeComCall.api == api)
        if errcode is not None:
            stmt = stmt.where(WeComCall.errcode == errcode)
        if before_id is not None:
            stmt = stmt.where(WeComCall.id < before_id)
        return list(session.scalars(stmt.order_by(WeComCall.id.desc()).limit(limit)))


wecom_calls = CallRepository()
