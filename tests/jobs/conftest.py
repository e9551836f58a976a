"""Fixtures for the job system: a committed database and each available queue backend."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from siyu.db.session import Database
from siyu.runtime import Runtime, build_runtime
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.helpers.databases import DatabaseFactory
from tests.jobs.probe_jobs import PROBE_TABLE_DDL

PROBE_MODULES = ["tests.jobs.probe_jobs"]


def queue_backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("SIYU_TEST_REDIS_URL"):
        backends.append("redis")
    if os.environ.get("SIYU_TEST_DB") == "postgres":
        backends.append("postgres")
    return backends


@pytest.fixture(params=queue_backends())
def queue_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_factory: DatabaseFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
        return
    if request.param == "postgres":
        # A database of its own, so parallel test workers never share (or flush) a queue.
        with database_factory.fresh() as url:
            yield url
        return
    import redis

    base = os.environ["SIYU_TEST_REDIS_URL"]
    client = redis.Redis.from_url(base)
    client.ping()
    yield base
    client.flushdb()


@pytest.fixture
def job_settings(fresh_db_url: str, queue_url: str) -> Settings:
    return make_settings(
        fresh_db_url,
        queue_url=queue_url,
        job_modules=PROBE_MODULES,
        job_lease_seconds=2,
        sweeper_interval_seconds=1,
        worker_threads=2,
    )


@pytest.fixture
def job_runtime(job_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(job_settings)
    runtime.queue.flush()
    with runtime.db.transaction() as session:
        session.execute(text(PROBE_TABLE_DDL))
    yield runtime
    runtime.close()


def effects(db: Database, label: str) -> list[int]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            text("SELECT attempt FROM probe_effects WHERE label = :label"), {"label": label}
        )
        return [row[0] for row in rows]


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")
