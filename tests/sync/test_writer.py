"""The customers stage's page writer, on the real database: pages of many units, queued
interleaved as the fetchers put them, end each unit's checkpoint where its last page left it;
a failed write stops the writer and leaves the checkpoint where it was."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from siyu.customers.models import Customer, FollowRelation
from siyu.db.session import Database
from siyu.sync.models import SyncCheckpoint
from siyu.sync.repository import checkpoints
from siyu.sync.service import sync_service
from siyu.sync.writer import Page, PageWriter

UNITS = 6
PAGES = 5
PER_PAGE = 20


def page_of(unit: int, page: int) -> list[tuple[dict[str, str], dict[str, object]]]:
    pairs = []
    for i in range(PER_PAGE):
        # Every fourth contact of a page is listed by every unit: contacts shared by staff.
        external = f"wm-{page}-{i}" if i % 4 == 0 else f"wm-{unit}-{page}-{i}"
        contact = {"external_userid": external, "name": f"客户{i}"}
        follow = {"userid": f"staff-{unit}", "createtime": 1_700_000_000 + i, "tag_id": []}
        pairs.append((contact, follow))
    return pairs


def customer_units(
    db: Database, corp_id: uuid.UUID, count: int
) -> tuple[uuid.UUID, list[SyncCheckpoint]]:
    """A new run with `count` customers-stage units of one staff member each."""
    with db.transaction() as session:
        run_id = sync_service.create_run(
            session, corp_id=corp_id, requested_by_label="test", enqueue_job=False
        ).id
        checkpoints.add_many(
            session,
            run_id=run_id,
            corp_id=corp_id,
            stage="customers",
            payloads=[(f"{u:06d}", {"userids": [f"staff-{u}"]}) for u in range(count)],
        )
        return run_id, checkpoints.of_stage(session, run_id, "customers")


def test_units_end_at_their_last_page(sync_db: Database, corp_id: uuid.UUID) -> None:
    run_id, units = customer_units(sync_db, corp_id, UNITS)
    written: list[int] = []
    writer = PageWriter(sync_db.transaction, corp_id, {}, on_written=written.append, capacity=4)
    # Interleaved as eight fetchers would put them: page p of every unit, then page p + 1.
    for page in range(PAGES):
        for number, unit in enumerate(units):
            cursor = None if page == PAGES - 1 else f"cursor-{page + 1}"
            writer.put(Page(unit.id, page_of(number, page), cursor))
    writer.close()

    assert sum(written) == UNITS * PAGES * PER_PAGE
    with sync_db.transaction(write=False) as session:
        rows = session.scalars(select(SyncCheckpoint).where(SyncCheckpoint.run_id == run_id))
        for checkpoint in rows:
            assert (checkpoint.done, checkpoint.cursor) == (True, None)
            assert (checkpoint.pages, checkpoint.items) == (PAGES, PAGES * PER_PAGE)
        relations = session.scalar(select(func.count()).select_from(FollowRelation))
        contacts = session.scalar(select(func.count()).select_from(Customer))
    assert relations == UNITS * PAGES * PER_PAGE
    shared = PAGES * (PER_PAGE // 4)
    assert contacts == shared + UNITS * PAGES * (PER_PAGE - PER_PAGE // 4)


def test_a_failed_write_is_reported_by_close_and_moves_nothing(
    sync_db: Database, corp_id: uuid.UUID
) -> None:
    _, (unit,) = customer_units(sync_db, corp_id, 1)
    writer = PageWriter(sync_db.transaction, corp_id, {}, on_written=lambda _: None)
    broken = [({"external_userid": "wm-broken"}, {"createtime": 1})]  # no "userid": a KeyError
    writer.put(Page(unit.id, broken, None))  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        writer.close()
    with sync_db.transaction(write=False) as session:
        checkpoint = session.get(SyncCheckpoint, unit.id)
        assert checkpoint is not None and (checkpoint.done, checkpoint.pages) == (False, 0)
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
