"""Ids are RFC 9562 UUIDv7s that increase within the process, whichever way they were made."""

from __future__ import annotations

import pickle
import uuid

from siyu.kit.ids import new_id, new_ids, with_new_ids


def test_bulk_ids_are_ordinary_uuidv7s() -> None:
    ids = new_ids(5_000)
    for made in ids[:50]:
        twin = uuid.UUID(str(made))
        assert made == twin and hash(made) == hash(twin)
        assert made.version == 7 and made.variant == uuid.RFC_4122
        assert pickle.loads(pickle.dumps(made)) == made
        assert uuid.UUID(bytes=made.bytes) == made
    assert len(set(ids)) == len(ids)


def test_ids_increase_across_single_and_bulk_calls() -> None:
    made = [new_id(), *new_ids(10_000), new_id(), *new_ids(3), new_id()]
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_rows_get_fresh_ids_and_the_constants() -> None:
    rows = with_new_ids([{"name": "a"}, {"name": "b", "id": "ignored"}], corp_id="c")
    assert [row["name"] for row in rows] == ["a", "b"]
    assert all(row["corp_id"] == "c" and isinstance(row["id"], uuid.UUID) for row in rows)
    assert rows[0]["id"] < rows[1]["id"]
    assert new_ids(0) == [] and with_new_ids([]) == []
