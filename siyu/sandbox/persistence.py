"""Optional SQLite persistence: a snapshot of the whole world in one row.

Snapshot rather than write-through: the hot path stays pure in-memory, and a demo world only
needs to survive restarts. The sandbox saves on shutdown, every `interval` seconds while
serving, and on POST /sandbox/save. The snapshot is a pickle: only load files you wrote.
"""

from __future__ import annotations

import pickle
import sqlite3
import time
from pathlib import Path
from typing import Any

from siyu.sandbox.state import SandboxState

_KEYS = (
    "seed",
    "rules",
    "behaviour",
    "faults",
    "corps",
    "tokens",
    "ids",
    "rng",
    "schedule",
    "_schedule_seq",
    "hint_seq",
)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS snapshot"
    " (id INTEGER PRIMARY KEY CHECK (id = 1), saved_at REAL, clock_offset REAL, data BLOB)"
)


def save_state(state: SandboxState, path: str | Path) -> int:
    """Write the snapshot (call with the state lock held); returns its size in bytes."""
    payload: dict[str, Any] = {key: getattr(state, key) for key in _KEYS}
    payload["clock"] = state.clock.snapshot()
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    offset = state.clock.time() - time.time()
    with sqlite3.connect(path) as conn:
        conn.execute(_SCHEMA)
        conn.execute(
            "INSERT OR REPLACE INTO snapshot (id, saved_at, clock_offset, data)"
            " VALUES (1, ?, ?, ?)",
            (time.time(), offset, data),
        )
    return len(data)


def load_state(state: SandboxState, path: str | Path) -> bool:
    """Restore a snapshot into `state` if the file has one; the clock keeps its offset."""
    if not Path(path).exists():
        return False
    with sqlite3.connect(path) as conn:
        conn.execute(_SCHEMA)
        row = conn.execute("SELECT data FROM snapshot WHERE id = 1").fetchone()
    if row is None:
        return False
    payload = pickle.loads(row[0])  # noqa: S301 - our own snapshot file
    for key in _KEYS:
        setattr(state, key, payload[key])
    state.clock.restore(payload["clock"])
    return True
