"""Segment counts and the customer list at 1,000,000 people, on SQLite and PostgreSQL.

Generates the same data into both databases (PostgreSQL when SIYU_BENCH_POSTGRES_URL is set):
1,000,000 customers (SIYU_BENCH_SEGMENT_CUSTOMERS), 2,000 staff, ~1.2 relations per customer,
9 WeCom tags per person on their first relation (300 tags with a Zipf-like popularity) plus one
Siyu tag on the person (≈10 tags each), 10 channels, added dates over three years, 8 % lost.
Rows are written with the driver's executemany (SQLite) or COPY (PostgreSQL) with secondary
indexes dropped and rebuilt afterwards, then ANALYZE.

Prints JSON lines: `segment_count_seconds` for a 4-condition tree (targets: ≤ 0.2 s PostgreSQL,
≤ 0.5 s SQLite; the median of 5 runs after a warm-up), and `customer_list_ms` for the first
page, a deep page (after 90 % of the rows), each list filter and name searches of three or
more characters (trigram index) and of one or two (bounded window), target ≤ 100 ms, measured
through the HTTP API in-process. SIYU_BENCH_SEGMENT_ONLY=list skips the counts.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text

from bench._common import emit
from bench._segments_data import DataSpec, generate
from siyu.auth import credentials
from siyu.auth.models import ApiKey
from siyu.auth.scope import DataScope
from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.db.migrate import upgrade
from siyu.db.session import Database
from siyu.kit.clock import utcnow
from siyu.kit.pagination import encode_cursor
from siyu.segments.repository import people
from siyu.segments.service import segment_service
from siyu.settings import Environment, Settings

BENCH = "segments"
CUSTOMERS = int(os.environ.get("SIYU_BENCH_SEGMENT_CUSTOMERS", "1000000"))
RUNS = 5


def _settings(url: str, export_dir: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.test,
        secret_key="bench-" + "x" * 40,
        database_url=url,
        queue_url="memory://",
        run_worker_in_process=False,
        export_dir=export_dir,
        log_level="WARNING",
    )


def _median_seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    result = fn()  # warm-up: caches and the plan, as a console's second keystroke would see
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def four_conditions(spec: DataSpec) -> dict[str, Any]:
    """Tagged with one of two mid-popularity tags, not at risk (a Siyu tag), from two channels,
    added in the last 180 days: the shape of an everyday campaign audience."""
    return {
        "type": "and",
        "children": [
            {
                "type": "tags",
                "match": "any",
                "tag_ids": [str(spec.wecom_tags[4]), str(spec.wecom_tags[19])],
            },
            {"type": "tags", "match": "none", "tag_ids": [str(spec.siyu_tags[0])]},
            {"type": "channel", "states": ["poster", "store-02"]},
            {"type": "added", "within_days": 180},
        ],
    }


def bench_count(db: Database, spec: DataSpec, label: str) -> None:
    condition = segment_service.parse(four_conditions(spec))
    with db.transaction(write=False) as session:
        where = segment_service.where(
            session, scope=DataScope.everything(spec.corp_id), condition=condition
        )
        seconds, total = _median_seconds(lambda: people.count(session, where))
    target = 0.2 if label == "postgresql" else 0.5
    emit(
        BENCH,
        "segment_count_seconds",
        seconds,
        "s",
        database=label,
        customers=CUSTOMERS,
        matched=total,
        target=target,
        conditions=4,
    )


def _api_key(db: Database, corp_id: uuid.UUID) -> str:
    new = credentials.new_api_key()
    with db.transaction() as session:
        session.add(
            ApiKey(
                corp_id=corp_id,
                name="bench",
                prefix=new.prefix,
                key_hash=new.digest,
                scopes=["customers:read"],
                created_at=utcnow(),
            )
        )
    return new.key


def bench_list(db: Database, spec: DataSpec, label: str, export_dir: Path) -> None:
    from siyu.app import create_app

    app = create_app(_settings(db.url, export_dir), check_migrations=False, start_worker=False)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {_api_key(db, spec.corp_id)}"
    url = f"/api/v1/corps/{spec.corp_id}/customers"
    with db.transaction(write=False) as session:
        deep_id = session.scalar(
            select(Customer.id)
            .where(Customer.corp_id == spec.corp_id)
            .order_by(Customer.id.desc())
            .offset(int(CUSTOMERS * 0.9))
            .limit(1)
        )
    cases: dict[str, dict[str, Any]] = {
        "first_page": {},
        "deep_page": {"cursor": encode_cursor([deep_id])},
        "tag": {"tag_id": str(spec.wecom_tags[4])},
        "staff": {"staff_userid": "staff-0042"},
        "channel": {"channel": "store-02"},
        "status_lost": {"status": "lost"},
        # A name near the newest people (the page fills at once) and one that matches nobody
        # (the worst case: every row is tested; see docs/segments.md).
        "search": {"q": "客户99"},
        "search_no_match": {"q": "无此人"},
        # Too short for the trigram index: a bounded window of people per page (the page may
        # be short; its cursor says where the next window starts).
        "search_short": {"q": "户9"},
        "search_short_one": {"q": "9"},
        "search_short_no_match": {"q": "无此"},
    }
    pages: dict[str, bool] = {}
    for case, params in cases.items():

        def call(params: dict[str, Any] = params, case: str = case) -> int:
            response = client.get(url, params={"limit": 50, **params})
            assert response.status_code == 200, response.text
            body = response.json()
            pages[case] = body["next_cursor"] is not None
            return len(body["items"])

        seconds, items = _median_seconds(call)
        emit(
            BENCH,
            "customer_list_ms",
            seconds * 1000,
            "ms",
            database=label,
            case=case,
            items=items,
            has_next_page=pages[case],
            customers=CUSTOMERS,
            target=100,
        )


def _fresh_postgres(base_url: str) -> tuple[str, Callable[[], None]]:
    name = f"siyu_bench_segments_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base_url.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def _make_corp(db: Database, corp_id: uuid.UUID) -> None:
    with db.transaction() as session:
        session.add(
            Corp(id=corp_id, wecom_corp_id="wwsegbench0001", name="bench", callback_key="k" * 24)
        )


def prepared_engines(targets: list[tuple[str, str]], corp_id: uuid.UUID) -> dict[str, Engine]:
    """Migrate each (label, url) database, add the benchmark corp, and return an engine per
    label for the data generators."""
    engines: dict[str, Engine] = {}
    for label, url in targets:
        upgrade(url)
        db = Database(url)
        _make_corp(db, corp_id)
        db.dispose()
        engines[label] = create_engine(url)
    return engines


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # SIYU_BENCH_SEGMENT_DATABASES=postgresql re-measures one database alone.
        wanted = os.environ.get("SIYU_BENCH_SEGMENT_DATABASES", "sqlite,postgresql").split(",")
        targets: list[tuple[str, str]] = []
        if "sqlite" in wanted:
            targets.append(("sqlite", f"sqlite:///{Path(tmp) / 'segments.db'}"))
        cleanups: list[Callable[[], None]] = []
        pg = os.environ.get("SIYU_BENCH_POSTGRES_URL")
        if pg and "postgresql" in wanted:
            url, drop = _fresh_postgres(pg)
            targets.append(("postgresql", url))
            cleanups.append(drop)
        try:
            corp_id = uuid.uuid4()
            engines = prepared_engines(targets, corp_id)
            started = time.perf_counter()
            spec = generate(engines, corp_id=corp_id, customers=CUSTOMERS, seed=5)
            emit(
                BENCH,
                "generate_seconds",
                time.perf_counter() - started,
                "s",
                customers=CUSTOMERS,
                tag_links=spec.tag_links,
                databases=list(engines),
            )
            for label, url in targets:
                engines[label].dispose()
                db = Database(url)
                if os.environ.get("SIYU_BENCH_SEGMENT_ONLY") != "list":
                    bench_count(db, spec, label)
                bench_list(db, spec, label, Path(tmp) / "exports")
                db.dispose()
        finally:
            for cleanup in cleanups:
                cleanup()


if __name__ == "__main__":
    main()
