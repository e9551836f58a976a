"""Data for bench/profile.py: a corp with customers, relations, timeline entries and stage
counts, written straight through the SQLite driver (the ORM would take longer than everything
measured)."""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench._common import emit
from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.profile.models import SalesStage

CUSTOMERS = int(os.environ.get("SIYU_BENCH_PROFILE_CUSTOMERS", "1000000"))
ENTRIES_PER_CUSTOMER = 5
HEAVY_ENTRIES = 20_000
STAFF = 200
STAGES = 5
DAYS = 90
BATCH = 20_000
KINDS = ("customer.added", "tag.added", "stage.moved", "follow_up.added", "group.joined")
START = datetime(2026, 1, 1, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    """How the UTCDateTime column stores a moment on SQLite (naive UTC text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _bench_id(table: int, index: int) -> uuid.UUID:
    """Ordered ids like UUIDv7 (so inserts append), without generating 7,000,000 of them."""
    return uuid.UUID(int=(0x01A0_0000_0000 + table) << 80 | index)


def _load(
    db: Database, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> int:
    """Bulk insert through the driver: generating millions of rows through the ORM would take
    longer than everything measured. Values are given in their stored form (hex ids, text
    timestamps, JSON text)."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    count = 0
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        while True:
            batch = list(itertools.islice(rows, BATCH))
            if not batch:
                break
            # The engine runs the driver in autocommit mode (Siyu issues BEGIN itself), so one
            # explicit transaction per batch, not one per row.
            cursor.execute("BEGIN")
            cursor.executemany(sql, batch)
            cursor.execute("COMMIT")
            count += len(batch)
    finally:
        raw.close()
    return count


def generate(db: Database, rng: random.Random) -> tuple[uuid.UUID, list[uuid.UUID], uuid.UUID]:
    with db.transaction() as session:
        corp = Corp(wecom_corp_id="wwprofilebench01", name="bench", callback_key=uuid.uuid4().hex)
        session.add(corp)
        session.flush()
        corp_id = corp.id
        stages = [
            SalesStage(corp_id=corp_id, key=f"s{i}", name=f"阶段{i}", position=i)
            for i in range(STAGES)
        ]
        session.add_all(stages)
        session.flush()
        stage_ids = [s.id.hex for s in stages]
    corp_hex = corp_id.hex
    customer_ids = [_bench_id(1, i) for i in range(CUSTOMERS)]
    now = _stamp(datetime.now(UTC))
    heavy = customer_ids[CUSTOMERS // 2]
    seconds = DAYS * 86_400

    customers = (
        (
            c.hex,
            corp_hex,
            f"wm{i:012d}",
            f"客户{i}",
            1,
            0,
            "active",
            stage_ids[i % STAGES] if i % 2 else None,
            now,
            now,
        )
        for i, c in enumerate(customer_ids)
    )
    relations = (
        (
            _bench_id(2, i).hex,
            corp_hex,
            c.hex,
            f"wm{i:012d}",
            f"staff{i % STAFF:03d}",
            "[]",
            "[]",
            1,
            now,
            now,
        )
        for i, c in enumerate(customer_ids)
    )
    # Formatting 5,000,000 timestamps costs more than inserting them: draw from a pool.
    stamps = [_stamp(START + timedelta(seconds=rng.randrange(seconds))) for _ in range(65_536)]
    serial = itertools.count()
    entries = (
        (
            f"{next(serial):032x}",
            corp_hex,
            c.hex,
            KINDS[n % len(KINDS)],
            "staff000",
            "{}",
            stamps[rng.getrandbits(16)],
            f"bench:{c.hex}:{n}",
        )
        for c in customer_ids
        for n in range(HEAVY_ENTRIES if c == heavy else ENTRIES_PER_CUSTOMER)
    )
    counts = (
        (
            corp_hex,
            (date(2026, 1, 1) + timedelta(days=d)).isoformat(),
            stage,
            f"staff{u:03d}",
            rng.randrange(500),
            rng.randrange(20),
        )
        for d in range(DAYS)
        for stage in stage_ids
        for u in range(STAFF)
    )
    started = time.perf_counter()
    _load(
        db,
        "customers",
        (
            "id",
            "corp_id",
            "external_userid",
            "name",
            "type",
            "gender",
            "status",
            "stage_id",
            "created_at",
            "updated_at",
        ),
        customers,
    )
    _load(
        db,
        "follow_relations",
        (
            "id",
            "corp_id",
            "customer_id",
            "external_userid",
            "staff_userid",
            "remark_mobiles",
            "wecom_tag_ids",
            "add_way",
            "created_at",
            "updated_at",
        ),
        relations,
    )
    loaded = _load(
        db,
        "customer_timeline",
        (
            "id",
            "corp_id",
            "customer_id",
            "kind",
            "staff_userid",
            "details",
            "occurred_at",
            "dedup_key",
        ),
        entries,
    )
    _load(
        db,
        "stage_daily_counts",
        ("corp_id", "day", "stage_id", "staff_userid", "customers", "entered"),
        counts,
    )
    emit(
        "profile",
        "generate_seconds",
        time.perf_counter() - started,
        "s",
        customers=CUSTOMERS,
        timeline_entries=loaded,
    )
    return corp_id, customer_ids, heavy
