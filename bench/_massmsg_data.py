"""People for the mass-message benchmark: customers, their follow relations and the segment
index rows, written with the segment benchmark's loader (driver executemany / COPY, secondary
indexes dropped and rebuilt). No tags: planning never reads them."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from bench._segments_data import NOW, STAFF, Tokens, _Ids, _Writer, start_ids, write_chunk

CHUNK = 50_000
TABLES = ("customers", "follow_relations", "customer_facts")


def _rows(corp: str, customers: int, rng: random.Random, ids: _Ids) -> Any:
    span = timedelta(days=3 * 365).total_seconds()
    out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
    for i in range(customers):
        cid, ext = ids.next(), f"wm{i:012d}"
        added = (NOW - timedelta(seconds=rng.random() * span)).strftime("%Y-%m-%d %H:%M:%S.%f")
        lost = rng.random() < 0.08
        gone, status = (added, "lost") if lost else (None, "active")
        out["customers"].append((cid, corp, ext, f"客户{i}", 1, 0, status, added, added, added))
        owner = rng.randrange(STAFF)
        staff = [f"staff-{owner:04d}"]
        if rng.random() < 0.2:  # a fifth are friends of two staff members
            staff.append(f"staff-{(owner + 1 + rng.randrange(STAFF - 1)) % STAFF:04d}")
        for index, userid in enumerate(staff):
            out["follow_relations"].append(
                (ids.next(), corp, cid, ext, userid, "[]", 1 + index, "[]", None, added, gone,
                 added, added)
            )  # fmt: skip
        out["customer_facts"].append(
            (cid, corp, status, added, Tokens(()), Tokens(() if lost else sorted(staff)),
             Tokens(()))
        )  # fmt: skip
        if len(out["customers"]) >= CHUNK:
            yield out
            out = {t: [] for t in TABLES}
    yield out


def generate(engines: dict[str, Engine], *, corp_id: uuid.UUID, customers: int, seed: int) -> None:
    writers = [_Writer(engine) for engine in engines.values()]
    for writer in writers:
        writer.drop_indexes()
    for chunk in _rows(corp_id.hex, customers, random.Random(seed), start_ids()):
        write_chunk(writers, chunk)
    for writer in writers:
        writer.finish()
