"""Shared fixtures.

- `db`: a Database on the migrated template inside an outer transaction that is rolled back
  after the test (fast; most tests).
- `fresh_db_url`: an isolated migrated database for tests that need real commits seen by other
  connections or processes (workers, e2e).
- `runtime`, `app`, `client`: the real app over `db`, with jobs run inline after commit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.app import create_app
from siyu.db.engine import build_engine
from siyu.db.session import Database
from siyu.kit.clock import FrozenClock, set_clock
from siyu.runtime import Runtime, build_runtime
from siyu.settings import Settings
from tests.helpers.databases import DatabaseFactory
from tests.helpers.settings import TEST_SECRET_KEY, make_settings

__all__ = ["TEST_SECRET_KEY", "make_settings"]


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist every worker gets a Redis database of its own (gw0 → base + 1, …), so
    one worker's queue flushes never reach another's. Databases are already per test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("SIYU_TEST_REDIS_URL")
    if not worker.startswith("gw") or not url:
        return
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = (base + int(worker.removeprefix("gw")) + 1) % 16
    os.environ["SIYU_TEST_REDIS_URL"] = urlunsplit(parts._replace(path=f"/{index}"))


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.close()


@pytest.fixture
def db(database_factory: DatabaseFactory) -> Iterator[Database]:
    engine = build_engine(database_factory.template_url)
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield Database.bound_to(connection)
    finally:
        outer.rollback()
        connection.close()
        engine.dispose()


@pytest.fixture
def fresh_db_url(database_factory: DatabaseFactory) -> Iterator[str]:
    with database_factory.fresh() as url:
        yield url


@pytest.fixture
def settings(db: Database) -> Settings:
    return make_settings(db.url)


@pytest.fixture
def runtime(settings: Settings, db: Database) -> Iterator[Runtime]:
    runtime = build_runtime(settings, db=db, immediate_jobs=True)
    yield runtime
    runtime.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime, start_worker=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock()
    previous = set_clock(frozen)
    yield frozen
    set_clock(previous)
