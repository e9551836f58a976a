"""Generates the segment benchmark's people once and writes each chunk to every database.

Raw driver calls, not the ORM: 10 million tag links through ORM objects would take longer
than the benchmark. Values are produced once as the text both databases accept (UUID hex,
naive UTC timestamps with the PostgreSQL session in UTC); only token sets differ (SQLite's
framed text, PostgreSQL's array literal). Secondary indexes are dropped before the load and
rebuilt after it, which is how a bulk import should load anyway.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from siyu.db.types import TOKEN_SEPARATOR
from siyu.segments.facts import tag_token

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
NOW = datetime.now(UTC).replace(tzinfo=None)
STAMP = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format, always 6 digits

TABLES: dict[str, tuple[str, ...]] = {
    "customers": ("id", "corp_id", "external_userid", "name", "type", "gender", "status",
                  "first_added_at", "created_at", "updated_at"),
    "follow_relations": ("id", "corp_id", "customer_id", "external_userid", "staff_userid",
                         "remark_mobiles", "add_way", "wecom_tag_ids", "state", "added_at",
                         "deleted_by_customer_at", "created_at", "updated_at"),
    "follow_relation_tags": ("id", "corp_id", "relation_id", "tag_id", "created_at"),
    "customer_tags": ("customer_id", "tag_id", "corp_id", "source", "created_at"),
    "customer_facts": ("customer_id", "corp_id", "status", "first_added_at", "tags", "staff",
                       "channels"),
}  # fmt: skip


@dataclass
class DataSpec:
    corp_id: uuid.UUID
    wecom_tags: list[uuid.UUID] = field(default_factory=list)  # most popular first
    siyu_tags: list[uuid.UUID] = field(default_factory=list)
    tag_links: int = 0


class Tokens(tuple[str, ...]):
    """A token set value: encoded per database at write time."""


class _Ids:
    """UUIDv7-shaped ids that increase like `new_id()` (time, then a counter), as hex."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms
        self.n = 0

    def uuid(self) -> uuid.UUID:
        self.n += 1
        n, ms = self.n, self.ms + self.n // 4096
        return uuid.UUID(int=(ms << 80) | (7 << 76) | (2 << 62) | n)

    def next(self) -> str:
        return self.uuid().hex


class _Writer:
    """One database: drop secondary indexes, load chunks, rebuild, analyze."""

    def __init__(self, engine: Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.indexes: list[str] = []

    def drop_indexes(self) -> None:
        cursor = self.raw.cursor()
        names = ", ".join(f"'{t}'" for t in TABLES)
        if self.postgres:
            cursor.execute("SET TIME ZONE 'UTC'")
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

    def _encode(self, value: Tokens) -> str:
        if self.postgres:
            return "{" + ",".join(value) + "}"
        return TOKEN_SEPARATOR + TOKEN_SEPARATOR.join(value) + TOKEN_SEPARATOR if value else ""

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        columns = TABLES[table]
        if table == "customer_facts":
            rows = [tuple(self._encode(v) if isinstance(v, Tokens) else v for v in r) for r in rows]
        cursor = self.raw.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        self.raw.commit()

    def finish(self) -> None:
        cursor = self.raw.cursor()
        for ddl in self.indexes:
            cursor.execute(ddl)
        self.raw.commit()
        if self.postgres:
            # What autovacuum does after a bulk load: statistics and the visibility map (which
            # index-only scans need).
            self.raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            self.raw.commit()
        self.raw.close()


def _write_tags(writers: list[_Writer], spec: DataSpec, ids: _Ids) -> None:
    corp = spec.corp_id.hex
    groups: list[tuple[Any, ...]] = []
    tags: list[tuple[Any, ...]] = []
    group = ""
    for index in range(WECOM_TAGS + SIYU_TAGS):
        siyu = index >= WECOM_TAGS
        if index % 10 == 0:
            group = ids.next()
            groups.append((group, corp, f"组{index // 10}", 0, "siyu" if siyu else "wecom",
                           None if siyu else f"etg{index}", STAMP, STAMP))  # fmt: skip
        tag = ids.uuid()
        (spec.siyu_tags if siyu else spec.wecom_tags).append(tag)
        tags.append((tag.hex, corp, group, f"标签{index}", 0, 1,
                     None if siyu else f"et{index}", STAMP, STAMP))  # fmt: skip
    for writer in writers:
        writer.raw.cursor().executemany(
            'INSERT INTO tag_groups (id, corp_id, name, "order", origin, wecom_group_id, '
            "created_at, updated_at) VALUES ("
            + ", ".join(["%s" if writer.postgres else "?"] * 8)
            + ")",
            groups,
        )
        writer.raw.cursor().executemany(
            'INSERT INTO tags (id, corp_id, group_id, name, "order", type, wecom_tag_id, '
            "created_at, updated_at) VALUES ("
            + ", ".join(["%s" if writer.postgres else "?"] * 9)
            + ")",
            tags,
        )
        writer.raw.commit()


def _chunks(
    spec: DataSpec, customers: int, rng: random.Random, ids: _Ids
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    corp = spec.corp_id.hex
    wecom = [(t.hex, tag_token(t)) for t in spec.wecom_tags]
    siyu = [(t.hex, tag_token(t)) for t in spec.siyu_tags]
    weights = [1 / (rank + 1) ** 0.5 for rank in range(WECOM_TAGS)]
    span = timedelta(days=3 * 365).total_seconds()
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    for i in range(customers):
        cid, relation, ext = ids.next(), ids.next(), f"wm{i:012d}"
        added = (NOW - timedelta(seconds=rng.random() * span)).strftime("%Y-%m-%d %H:%M:%S.%f")
        lost = rng.random() < 0.08
        gone = added if lost else None
        status = "lost" if lost else "active"
        out["customers"].append(
            (cid, corp, ext, f"客户{i}", 1, rng.randrange(3), status, added, added, added)
        )
        state = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        owner = rng.randrange(STAFF)
        staff = [f"staff-{owner:04d}"]
        out["follow_relations"].append(
            (relation, corp, cid, ext, staff[0], "[]", 1, "[]", state, added, gone, added, added)
        )
        if rng.random() < 0.2:
            staff.append(f"staff-{(owner + 1 + rng.randrange(STAFF - 1)) % STAFF:04d}")
            out["follow_relations"].append(
                (
                    ids.next(),
                    corp,
                    cid,
                    ext,
                    staff[1],
                    "[]",
                    2,
                    "[]",
                    None,
                    added,
                    gone,
                    added,
                    added,
                )
            )
        chosen = set(rng.choices(wecom, weights, k=TAGS_PER_PERSON))
        for tag_hex, _ in chosen:
            out["follow_relation_tags"].append((ids.next(), corp, relation, tag_hex, added))
        siyu_hex, siyu_token = rng.choice(siyu)
        out["customer_tags"].append((cid, siyu_hex, corp, "bench", added))
        # The facts row exactly as segments.facts.refresh computes it (a test checks that).
        tokens = Tokens(sorted({token for _, token in chosen} | {siyu_token}))
        out["customer_facts"].append(
            (
                cid,
                corp,
                status,
                added,
                tokens,
                Tokens(() if lost else sorted(staff)),
                Tokens((state,)),
            )
        )
        if len(out["customers"]) >= CHUNK:
            yield out
            out = {name: [] for name in TABLES}
    yield out


def start_ids() -> _Ids:
    """Ids from four years ago on, so every generated row is older than the benchmark's own."""
    return _Ids(int((NOW.replace(tzinfo=UTC) - timedelta(days=4 * 365)).timestamp() * 1000))


def write_chunk(writers: Sequence[_Writer], chunk: dict[str, list[tuple[Any, ...]]]) -> None:
    """One chunk of rows (table → rows) into every database."""
    for writer in writers:
        for table, rows in chunk.items():
            if rows:
                writer.write(table, rows)


def generate(
    engines: dict[str, Engine], *, corp_id: uuid.UUID, customers: int, seed: int
) -> DataSpec:
    spec = DataSpec(corp_id=corp_id)
    writers = [_Writer(engine) for engine in engines.values()]
    for writer in writers:
        writer.drop_indexes()
    ids = start_ids()
    _write_tags(writers, spec, ids)
    for chunk in _chunks(spec, customers, random.Random(seed), ids):
        spec.tag_links += len(chunk["follow_relation_tags"]) + len(chunk["customer_tags"])
        write_chunk(writers, chunk)
    for writer in writers:
        writer.finish()
    return spec
