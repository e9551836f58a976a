"""Generates the segment benchmark's people once and writes each chunk to every database.

Raw driver calls, not the ORM: 10 million tag links through ORM objects would take longer
than the benchmark. Values are encoded the way Siyu's column types store them (UUID hex and
naive UTC text on SQLite; native types through COPY on PostgreSQL). Secondary indexes are
dropped before the load and rebuilt after it, which is how a bulk import should load anyway.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

STAFF = 2000
WECOM_TAGS = 300
SIYU_TAGS = 20
TAGS_PER_PERSON = 9
CHANNELS = [
    "poster",
    "parcel",
    "referral",
    "ads",
    "event",
    *[f"store-{i:02d}" for i in range(1, 6)],
]
CHANNEL_WEIGHTS = [30, 15, 10, 10, 5, 10, 8, 5, 4, 3]
CHUNK = 50_000
NOW = datetime.now(UTC)


@dataclass
class DataSpec:
    corp_id: uuid.UUID
    wecom_tags: list[uuid.UUID] = field(default_factory=list)  # most popular first
    siyu_tags: list[uuid.UUID] = field(default_factory=list)
    tag_links: int = 0


def _v7(ms: int, n: int) -> uuid.UUID:
    """A UUIDv7 with a given millisecond and counter: ids increase with n, like new_id()."""
    return uuid.UUID(
        int=(ms << 80) | (7 << 76) | ((n >> 62) & 0xFFF) << 64 | (2 << 62) | (n & ((1 << 62) - 1))
    )


class _Ids:
    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms
        self.n = 0

    def next(self) -> uuid.UUID:
        self.n += 1
        return _v7(self.ms + self.n // 4096, self.n)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


class _Writer:
    """One database: drop secondary indexes, load chunks, rebuild, analyze."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.indexes: list[str] = []

    def drop_indexes(self, tables: Sequence[str]) -> None:
        cursor = self.raw.cursor()
        names = ", ".join(f"'{t}'" for t in tables)
        if self.postgres:
            # Bench-only: skip FK triggers during the load (the generator keeps references valid).
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (" + names + ") "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        else:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                "AND tbl_name IN (" + names + ")"
            )
        for name, ddl in cursor.fetchall():
            self.indexes.append(ddl)
            cursor.execute(f'DROP INDEX "{name}"')
        self.raw.commit()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        cursor = self.raw.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                [tuple(_sqlite_value(v) for v in row) for row in rows],
            )
        self.raw.commit()

    def finish(self) -> None:
        cursor = self.raw.cursor()
        for ddl in self.indexes:
            cursor.execute(ddl)
        cursor.execute("ANALYZE")
        self.raw.commit()
        self.raw.close()


def _tags(writers: list[_Writer], spec: DataSpec, ids: _Ids) -> None:
    groups, tags = [], []
    for index in range(WECOM_TAGS + SIYU_TAGS):
        siyu = index >= WECOM_TAGS
        if index % 10 == 0:
            group = ids.next()
            groups.append(
                (
                    group,
                    spec.corp_id,
                    f"组{index // 10}",
                    0,
                    "siyu" if siyu else "wecom",
                    None if siyu else f"etg{index}",
                    NOW,
                    NOW,
                )
            )
        tag = ids.next()
        (spec.siyu_tags if siyu else spec.wecom_tags).append(tag)
        tags.append(
            (
                tag,
                spec.corp_id,
                group,
                f"标签{index}",
                0,
                1,
                None if siyu else f"et{index}",
                NOW,
                NOW,
            )
        )
    for writer in writers:
        writer.write(
            "tag_groups",
            (
                "id",
                "corp_id",
                "name",
                "order",
                "origin",
                "wecom_group_id",
                "created_at",
                "updated_at",
            ),
            groups,
        )
        writer.write(
            "tags",
            (
                "id",
                "corp_id",
                "group_id",
                "name",
                "order",
                "type",
                "wecom_tag_id",
                "created_at",
                "updated_at",
            ),
            tags,
        )


CUSTOMER_COLS = (
    "id",
    "corp_id",
    "external_userid",
    "name",
    "type",
    "gender",
    "status",
    "first_added_at",
    "created_at",
    "updated_at",
)
RELATION_COLS = (
    "id",
    "corp_id",
    "customer_id",
    "external_userid",
    "staff_userid",
    "remark_mobiles",
    "add_way",
    "wecom_tag_ids",
    "state",
    "added_at",
    "deleted_by_customer_at",
    "created_at",
    "updated_at",
)
LINK_COLS = ("id", "corp_id", "relation_id", "tag_id", "created_at")
PERSON_TAG_COLS = ("customer_id", "tag_id", "corp_id", "source", "created_at")


def _chunks(
    spec: DataSpec, customers: int, rng: random.Random, ids: _Ids
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    weights = [1 / (rank + 1) ** 0.5 for rank in range(WECOM_TAGS)]
    span = timedelta(days=3 * 365).total_seconds()
    out: dict[str, list[tuple[Any, ...]]] = {
        "customers": [],
        "follow_relations": [],
        "follow_relation_tags": [],
        "customer_tags": [],
    }
    for i in range(customers):
        cid = ids.next()
        ext = f"wm{i:012d}"
        added = NOW - timedelta(seconds=rng.random() * span)
        lost = rng.random() < 0.08
        out["customers"].append(
            (
                cid,
                spec.corp_id,
                ext,
                f"客户{i}",
                1,
                rng.randrange(3),
                "lost" if lost else "active",
                added,
                added,
                added,
            )
        )
        relation = ids.next()
        state = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        owner = rng.randrange(STAFF)
        out["follow_relations"].append(
            (
                relation,
                spec.corp_id,
                cid,
                ext,
                f"staff-{owner:04d}",
                "[]",
                1,
                "[]",
                state,
                added,
                added if lost else None,
                added,
                added,
            )
        )
        if rng.random() < 0.2:
            out["follow_relations"].append(
                (
                    ids.next(),
                    spec.corp_id,
                    cid,
                    ext,
                    f"staff-{(owner + 1 + rng.randrange(STAFF - 1)) % STAFF:04d}",
                    "[]",
                    2,
                    "[]",
                    None,
                    added,
                    added if lost else None,
                    added,
                    added,
                )
            )
        for tag in set(rng.choices(spec.wecom_tags, weights, k=TAGS_PER_PERSON)):
            out["follow_relation_tags"].append((ids.next(), spec.corp_id, relation, tag, added))
        out["customer_tags"].append((cid, rng.choice(spec.siyu_tags), spec.corp_id, "bench", added))
        if len(out["customers"]) >= CHUNK:
            yield out
            out = {name: [] for name in out}
    yield out


def generate(
    engines: dict[str, Engine], *, corp_id: uuid.UUID, customers: int, seed: int
) -> DataSpec:
    spec = DataSpec(corp_id=corp_id)
    writers = [_Writer(engine) for engine in engines.values()]
    tables = ["customers", "follow_relations", "follow_relation_tags", "customer_tags"]
    for writer in writers:
        writer.drop_indexes(tables)
    ids = _Ids(int((NOW - timedelta(days=4 * 365)).timestamp() * 1000))
    _tags(writers, spec, ids)
    columns = {
        "customers": CUSTOMER_COLS,
        "follow_relations": RELATION_COLS,
        "follow_relation_tags": LINK_COLS,
        "customer_tags": PERSON_TAG_COLS,
    }
    for chunk in _chunks(spec, customers, random.Random(seed), ids):
        spec.tag_links += len(chunk["follow_relation_tags"]) + len(chunk["customer_tags"])
        for writer in writers:
            for table in tables:
                if chunk[table]:
                    writer.write(table, columns[table], chunk[table])
    for writer in writers:
        writer.finish()
    return spec
