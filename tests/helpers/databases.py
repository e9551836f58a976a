"""Test databases: one migrated template per run, cheap isolated copies per test.

`SIYU_TEST_DB=postgres` (with `SIYU_TEST_DATABASE_URL` pointing at a server where the user may
create databases) runs the whole suite on PostgreSQL; the default is SQLite.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from siyu.db.migrate import upgrade


def test_backend() -> str:
    backend = os.environ.get("SIYU_TEST_DB", "sqlite")
    if backend not in ("sqlite", "postgres"):
        raise RuntimeError(f"SIYU_TEST_DB must be sqlite or postgres, not {backend!r}")
    return backend


def postgres_server_url() -> str:
    url = os.environ.get("SIYU_TEST_DATABASE_URL")
    if not url:
        raise RuntimeError("SIYU_TEST_DB=postgres needs SIYU_TEST_DATABASE_URL")
    return url


class DatabaseFactory:
    """Creates a migrated template once and hands out independent copies of it."""

    def __init__(self, workdir: Path) -> None:
        self.backend = test_backend()
        self.workdir = workdir
        self._created: list[str] = []
        self.template_url = self._make_template()

    def _make_template(self) -> str:
        if self.backend == "sqlite":
            path = self.workdir / "template.db"
            url = f"sqlite:///{path}"
            upgrade(url)
            return url
        name = f"siyu_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._admin(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        url = self._url_for(name)
        upgrade(url)
        return url

    def _url_for(self, name: str) -> str:
        return (
            make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)
        )

    def _admin(self, sql: str) -> None:
        engine = create_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(sql))
        finally:
            engine.dispose()

    def copy(self) -> str:
        """A new, migrated, empty database URL that the caller may commit to freely."""
        if self.backend == "sqlite":
            path = self.workdir / f"db-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(self.template_url.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        name = f"siyu_t_{uuid.uuid4().hex[:12]}"
        template = make_url(self.template_url).database
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._created.append(name)
        return self._url_for(name)

    def drop(self, url: str) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            return
        name = make_url(url).database
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._created:
            self._created.remove(name)

    def empty_url(self) -> str:
        """A database with no tables at all (migration tests)."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        name = f"siyu_e_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self._url_for(name)

    def close(self) -> None:
        if self.backend == "postgres":
            for name in list(self._created):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._created.clear()

    @contextmanager
    def fresh(self) -> Iterator[str]:
        url = self.copy()
        try:
            yield url
        finally:
            self.drop(url)
