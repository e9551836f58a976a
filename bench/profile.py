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

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench._common import emit
from bench._profile_data import CUSTOMERS, DAYS, ENTRIES_PER_CUSTOMER, HEAVY_ENTRIES, generate
from siyu.auth.scope import DataScope
from siyu.customers.service import customer_service
from siyu.db.migrate import upgrade
from siyu.db.session import Database
from siyu.profile.schemas import TimelineEntry as TimelineOut
from siyu.profile.stages import day_of, stage_service
from siyu.profile.timeline import timeline_service

SAMPLES = 200


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
    samples = [timed(partial(first_page, c))[0] for c in rng.sample(customer_ids, SAMPLES)]
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
        best = min(timed(partial(counts, scoped, first, per_staff), 5))
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
