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


# The slowest files, slowest first, as measured on CI (`--durations`). `make test` passes
# `--no-loadscope-reorder`, so pytest-xdist hands out files in the order collected here; its
# default order (most tests first) left these one-test files for last, and the run ended with
# one worker on a four-minute test while the others had nothing to do. Slow files first, then
# the rest with the most tests first (xdist's own heuristic), so the short ones fill the end.
SLOWEST_FILES = (
    "tests/inbox/test_chaos.py",
    "tests/chaos/test_callback_chaos.py",
    "tests/wecom/test_ratelimit.py",
    "tests/jobs/test_worker_kill.py",
    "tests/storeopening/test_store_opening.py",
    "tests/deploy/test_split_processes.py",
    "tests/wecom/test_tokens.py",
    "tests/e2e/test_console.py",
    "tests/e2e/test_console_identity.py",
    "tests/e2e/test_console_data.py",
    "tests/messaging/test_sending.py",
    "tests/moments/test_publishing.py",
    "tests/moments/test_posts.py",
    "tests/segments/test_routes.py",
    "tests/jobs/test_contract.py",
    "tests/identity/test_imports.py",
    "tests/groupcodes/test_capacity.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    rank = {path: index for index, path in enumerate(SLOWEST_FILES)}
    order = sorted(by_file, key=lambda path: (rank.get(path, len(rank)), -len(by_file[path])))
    items[:] = [item for path in order for item in by_file[path]]


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
