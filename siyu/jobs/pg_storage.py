"""A huey storage on PostgreSQL, for installations that scale out without Redis.

Queue and schedule are tables; workers take messages with `FOR UPDATE SKIP LOCKED`, so any number
of workers dequeue concurrently without blocking each other or taking the same message. Only
wake-ups live here (the work itself is in `job_runs`), so the tables stay small.

Every operation is one statement, so the connection runs in autocommit (no BEGIN and COMMIT
round trips around it) with `synchronous_commit = off`: a wake-up lost to a server crash is
re-driven by the sweeper, as on SQLite (siyu/jobs/queue.py), so its commit does not wait for
the WAL to reach the disk. On the callback gateway that was a second flush per batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
from huey.constants import EmptyData
from huey.storage import BaseSqlStorage


class PostgresStorage(BaseSqlStorage):  # type: ignore[misc]
    begin_sql = "BEGIN"
    ddl = [
        "CREATE TABLE IF NOT EXISTS huey_task (id BIGSERIAL PRIMARY KEY, queue TEXT NOT NULL, "
        "data BYTEA NOT NULL, priority REAL NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS huey_task_queue_priority "
        "ON huey_task (queue, priority DESC, id)",
        "CREATE TABLE IF NOT EXISTS huey_schedule (id BIGSERIAL PRIMARY KEY, queue TEXT NOT NULL, "
        "data BYTEA NOT NULL, ts TIMESTAMP NOT NULL)",
        "CREATE INDEX IF NOT EXISTS huey_schedule_queue_ts ON huey_schedule (queue, ts)",
        "CREATE TABLE IF NOT EXISTS huey_kv (queue TEXT NOT NULL, key TEXT NOT NULL, "
        "value BYTEA NOT NULL, PRIMARY KEY (queue, key))",
        "CREATE TABLE IF NOT EXISTS huey_counter (queue TEXT NOT NULL, key TEXT NOT NULL, "
        "value BIGINT NOT NULL, PRIMARY KEY (queue, key))",
    ]

    def __init__(self, name: str = "huey", url: str = "", **kwargs: Any) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        super().__init__(name, **kwargs)

    def _create_connection(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, options="-c synchronous_commit=off")

    @contextlib.contextmanager
    def db(self, commit: bool = False, close: bool = False) -> Iterator[psycopg.Cursor[Any]]:  # noqa: ARG002
        # Autocommit: each statement commits by itself, so `commit` needs no BEGIN/COMMIT.
        with self.lock:
            connection = self.conn
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
                if close:
                    connection.close()
                    self._conn = None

    def enqueue(self, data: bytes, priority: float | None = None) -> None:
        self.sql(
            "INSERT INTO huey_task (queue, data, priority) VALUES (%s, %s, %s)",
            (self.name, data, priority or 0),
            commit=True,
        )

    def dequeue(self) -> bytes | None:
        rows = self.sql(
            "DELETE FROM huey_task WHERE id = (SELECT id FROM huey_task WHERE queue = %s "
            "ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING data",
            (self.name,),
            commit=True,
            results=True,
        )
        return bytes(rows[0][0]) if rows else None

    def queue_size(self) -> int:
        return int(
            self.sql(
                "SELECT COUNT(*) FROM huey_task WHERE queue = %s",
                (self.name,),
                commit=True,
                results=True,
            )[0][0]
        )

    def enqueued_items(self, limit: int | None = None) -> list[bytes]:
        rows = self.sql(
            "SELECT data FROM huey_task WHERE queue = %s ORDER BY priority DESC, id LIMIT %s",
            (self.name, limit),
            commit=True,
            results=True,
        )
        return [bytes(row[0]) for row in rows]

    def flush_queue(self) -> None:
        self.sql("DELETE FROM huey_task WHERE queue = %s", (self.name,), commit=True)

    def add_to_schedule(self, data: bytes, ts: datetime) -> None:
        self.sql(
            "INSERT INTO huey_schedule (queue, data, ts) VALUES (%s, %s, %s)",
            (self.name, data, ts),
            commit=True,
        )

    def read_schedule(self, ts: datetime) -> list[bytes]:
        rows = self.sql(
            "DELETE FROM huey_schedule WHERE id IN (SELECT id FROM huey_schedule WHERE queue = %s "
            "AND ts <= %s FOR UPDATE SKIP LOCKED) RETURNING data",
            (self.name, ts),
            commit=True,
            results=True,
        )
        return [bytes(row[0]) for row in rows]

    def schedule_size(self) -> int:
        return int(
            self.sql(
                "SELECT COUNT(*) FROM huey_schedule WHERE queue = %s",
                (self.name,),
                commit=True,
                results=True,
            )[0][0]
        )

    def scheduled_items(self, limit: int | None = None) -> list[bytes]:
        rows = self.sql(
            "SELECT data FROM huey_schedule WHERE queue = %s ORDER BY ts LIMIT %s",
            (self.name, limit),
            commit=True,
            results=True,
        )
        return [bytes(row[0]) for row in rows]

    def flush_schedule(self) -> None:
        self.sql("DELETE FROM huey_schedule WHERE queue = %s", (self.name,), commit=True)

    def put_data(self, key: str, value: bytes, is_result: bool = False) -> None:  # noqa: ARG002
        self.sql(
            "INSERT INTO huey_kv (queue, key, value) VALUES (%s, %s, %s) ON CONFLICT "
            "(queue, key) DO UPDATE SET value = EXCLUDED.value",
            (self.name, key, value),
            commit=True,
        )

    def peek_data(self, key: str) -> Any:
        rows = self.sql(
            "SELECT value FROM huey_kv WHERE queue = %s AND key = %s",
            (self.name, key),
            commit=True,
            results=True,
        )
        return bytes(rows[0][0]) if rows else EmptyData

    def pop_data(self, key: str) -> Any:
        rows = self.sql(
            "DELETE FROM huey_kv WHERE queue = %s AND key = %s RETURNING value",
            (self.name, key),
            commit=True,
            results=True,
        )
        return bytes(rows[0][0]) if rows else EmptyData

    def has_data_for_key(self, key: str) -> bool:
        return bool(
            self.sql(
                "SELECT 1 FROM huey_kv WHERE queue = %s AND key = %s",
                (self.name, key),
                commit=True,
                results=True,
            )
        )

    def put_if_empty(self, key: str, value: bytes, ttl: int | None = None) -> bool:  # noqa: ARG002
        # huey passes `ttl` for locks with expiry; Siyu never takes huey locks.
        rows = self.sql(
            "INSERT INTO huey_kv (queue, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (self.name, key, value),
            commit=True,
            results=True,
        )
        return bool(rows)

    def result_store_size(self) -> int:
        return int(
            self.sql(
                "SELECT COUNT(*) FROM huey_kv WHERE queue = %s",
                (self.name,),
                commit=True,
                results=True,
            )[0][0]
        )

    def result_items(self) -> dict[str, bytes]:
        rows = self.sql(
            "SELECT key, value FROM huey_kv WHERE queue = %s",
            (self.name,),
            commit=True,
            results=True,
        )
        return {key: bytes(value) for key, value in rows}

    def flush_results(self) -> None:
        self.sql("DELETE FROM huey_kv WHERE queue = %s", (self.name,), commit=True)

    def incr(self, key: str, amount: int = 1) -> int:
        rows = self.sql(
            "INSERT INTO huey_counter (queue, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (queue, key) DO UPDATE SET value = huey_counter.value + "
            "EXCLUDED.value RETURNING value",
            (self.name, key, amount),
            commit=True,
            results=True,
        )
        return int(rows[0][0])

    def delete_counter(self, key: str) -> None:
        self.sql(
            "DELETE FROM huey_counter WHERE queue = %s AND key = %s", (self.name, key), commit=True
        )

    def flush_counters(self) -> None:
        self.sql("DELETE FROM huey_counter WHERE queue = %s", (self.name,), commit=True)
