"""Time-ordered ids (UUIDv7, RFC 9562).

UUIDv7 sorts by creation time, so keyset pagination over `id` follows insertion order and
B-tree inserts stay append-mostly on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

_MS_MASK = (1 << 48) - 1
_RAND_MASK = (1 << 62) - 1
_VERSION_AND_VARIANT = 0x7 << 76 | 0b10 << 62
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown  # an enum member read per id costs a property call
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> uuid.UUID:
    """A UUIDv7 that is strictly increasing within this process, even within one millisecond."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:  # 12-bit sequence exhausted: borrow the next millisecond
                ms += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        counter = _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= counter << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand_b
    return uuid.UUID(int=value)


def _uuid_from_valid_int(value: int) -> uuid.UUID:
    """`uuid.UUID(int=value)` without its argument checks, for values built here (128-bit,
    version and variant set): the checks cost three times the rest of an id, and a full sync
    makes hundreds of thousands of ids in its writer thread."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", _UNKNOWN_SAFETY)
    return made


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` UUIDv7s at once, increasing like `new_id`'s, for bulk inserts: one clock read
    and one urandom call instead of one each per id."""
    global _last_ms, _counter
    if count <= 0:
        return []
    with _lock:
        ms = max(time.time_ns() // 1_000_000, _last_ms)
        counter = _counter + 1 if ms == _last_ms else 0
        first_ms, first_counter = ms, counter
        total = counter + count - 1
        _last_ms = ms + (total >> 12)
        _counter = total & 0xFFF
    words = struct.unpack(f">{count}Q", os.urandom(8 * count))
    ids = []
    for position, word in enumerate(words, first_counter):
        at = first_ms + (position >> 12)
        value = (at & _MS_MASK) << 80 | (position & 0xFFF) << 64 | word & _RAND_MASK
        ids.append(_uuid_from_valid_int(value | _VERSION_AND_VARIANT))
    return ids


def with_new_ids(rows: Iterable[Mapping[str, Any]], **constants: Any) -> list[dict[str, Any]]:
    """Each row with a fresh `id` (all from one `new_ids` call) and the constant columns, as
    the bulk upserts want them."""
    listed = list(rows)
    return [
        {**row, "id": id_, **constants}
        for row, id_ in zip(listed, new_ids(len(listed)), strict=True)
    ]
