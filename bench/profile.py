"""The customer profile at scale on SQLite: a timeline first page and the stage daily counts.

Generates 1,000,000 customers (one follow relation each, half of them in a sales stage),
5,000,000 timeline entries (five per customer, plus one long-lived customer with 20,000), and
90 days of stage counts for 5 stages × 200 staff, then measures what the console asks for:

- `timeline_first_page_ms`: the customer lookup (scope check) plus the newest 50 entries, for
  200 random customers (p50, p95) and for the 20,000-entry customer (also a page deep in it);
- `stage_counts_ms`: 30 days for the whole corp summed per stage (the chart), 90 days for one
  staff member, and 30 days per staff (30,000 rows, for the record);
- `stage_snapshot_seconds`: the periodic job recounting today from the customers table.

Targets: ≤ 100 ms for the first page and the counts. Size: SIYU_BENCH_PROFILE_CUSTOMERS.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import emit
from siyu.auth.scope import DataScope
from siyu.corps.models import Corp
from siyu.customers.service import customer_service
from siyu.db.migrate import upgrade
from siyu.db.session import Database
from siyu.profile.models import SalesStage
from siyu.profile.schemas import TimelineEntry as TimelineOut
from siyu.profile.stages import day_of, stage_service
from siyu.profile.timeline import timeline_service

CUSTOMERS = int(os.environ.get("SIYU_BENCH_PROFILE_CUSTOMERS", "1000000"))
ENTRIES_PER_CUSTOMER = 5
HEAVY_ENTRIES = 20_000
STAFF = 200
STAGES = 5
DAYS = 90
BATCH = 20_000
SAMPLES = 200
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
    corp = corp_id.hex
    customer_ids = [_bench_id(1, i) for i in range(CUSTOMERS)]
    now = _stamp(datetime.now(UTC))
    heavy = customer_ids[CUSTOMERS // 2]
    seconds = DAYS * 86_400

    customers = (
        (
            c.hex,
            corp,
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
            corp,
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
            corp,
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
            corp,
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


def timed(fn: Callable[[], Any], repeat: int = 1) -> list[float]:
    results = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        results.append((time.perf_counter() - start) * 1000)
    return results


def measure(
    db: Database, corp_id: uuid.UUID, customer_ids: list[uuid.UUID], heavy: uuid.UUID
) -> None:
    scope = DataScope.everything(corp_id)
    rng = random.Random(5)

    def first_page(customer_id: uuid.UUID, cursor: str | None = None) -> str | None:
        with db.transaction(write=False) as session:
            customer = customer_service.get_or_404(session, scope=scope, customer_id=customer_id)
            rows, next_cursor = timeline_service.page(
                session, customer=customer, cursor=cursor, limit=50
            )
            [TimelineOut.model_validate(r) for r in rows]
            return next_cursor

    first_page(customer_ids[0])  # warm the connection and the caches once
    samples = [timed(lambda c=c: first_page(c))[0] for c in rng.sample(customer_ids, SAMPLES)]
    emit(
        "profile",
        "timeline_first_page_ms",
        statistics.median(samples),
        "ms",
        p95=round(sorted(samples)[int(0.95 * len(samples))], 3),
        samples=SAMPLES,
        entries_per_customer=ENTRIES_PER_CUSTOMER,
        target=100,
    )
    emit(
        "profile",
        "timeline_first_page_heavy_ms",
        min(timed(lambda: first_page(heavy), 5)),
        "ms",
        entries=HEAVY_ENTRIES,
        target=100,
    )
    cursor = None
    for _ in range(100):
        cursor = first_page(heavy, cursor)
    emit(
        "profile",
        "timeline_page_101_heavy_ms",
        min(timed(lambda: first_page(heavy, cursor), 5)),
        "ms",
        entries=HEAVY_ENTRIES,
    )

    since, until = date(2026, 3, 1), date(2026, 3, 30)
    own = DataScope(corp_id=corp_id, kind=scope.kind.own, staff_userid="staff007")

    def counts(scoped: DataScope, first: date, per_staff: bool) -> int:
        with db.transaction(write=False) as session:
            rows = stage_service.counts(
                session, scope=scoped, since=first, until=until, per_staff=per_staff
            )
            return len([r.model_dump() for r in rows])

    for label, scoped, first, per_staff in (
        ("corp_30d_per_stage", scope, since, False),
        ("staff_90d", own, until - timedelta(days=DAYS - 1), True),
        ("corp_30d_per_staff", scope, since, True),
    ):
        rows = counts(scoped, first, per_staff)
        best = min(timed(lambda s=scoped, f=first, p=per_staff: counts(s, f, p), 5))
        emit(
            "profile",
            "stage_counts_ms",
            best,
            "ms",
            query=label,
            rows=rows,
            target=100 if label != "corp_30d_per_staff" else None,
        )

    with db.transaction() as session:
        started = time.perf_counter()
        written = stage_service.snapshot(session, corp_id=corp_id, at=datetime.now(UTC))
        emit(
            "profile",
            "stage_snapshot_seconds",
            time.perf_counter() - started,
            "s",
            rows=written,
            customers=CUSTOMERS,
            day=str(day_of(datetime.now(UTC))),
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'profile.db'}"
        upgrade(url)
        db = Database(url)
        try:
            corp_id, customer_ids, heavy = generate(db, random.Random(3))
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
            measure(db, corp_id, customer_ids, heavy)
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
