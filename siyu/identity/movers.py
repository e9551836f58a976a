"""The registry of (table, column) pairs a merge moves from the merged person to the survivor.

Every domain whose rows hang off a person registers its column here (for example
`register_mover(FollowUp.__table__, "customer_id")`); merges record the keys of the rows they
moved per pair, and undo sets exactly those rows back.

Where the person column is part of a unique key (a person has a tag once, a single value per
custom field), name the key's other columns in `unique_with`: a merged person's row whose key
the survivor already holds stays behind with the merged person (the survivor's own value wins),
so a merge never violates the key and undo stays exact. `row_key` names the column that tells
one person's rows apart when the table has no `id`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table


@dataclass(frozen=True)
class Mover:
    table: Table
    column: str
    row_key: str = "id"
    unique_with: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.table.name}.{self.column}"


_movers: dict[str, Mover] = {}


def register_mover(
    table: Table, column: str, *, row_key: str = "id", unique_with: tuple[str, ...] = ()
) -> None:
    for name in (column, row_key, *unique_with):
        if name not in table.c:
            raise ValueError(f"{table.name} has no column {name!r}")
    mover = Mover(table, column, row_key, unique_with)
    _movers[mover.key] = mover


def movers() -> list[Mover]:
    return list(_movers.values())


def mover(key: str) -> Mover | None:
    return _movers.get(key)


def _register_builtin() -> None:
    from siyu.customers.models import Customer, FollowRelation
    from siyu.identity.models import CustomerIdentity

    register_mover(CustomerIdentity.__table__, "customer_id")  # type: ignore[arg-type]
    register_mover(FollowRelation.__table__, "customer_id")  # type: ignore[arg-type]
    # Persons merged into the merged person earlier now point at the survivor: chains stay flat.
    register_mover(Customer.__table__, "merged_into_id")  # type: ignore[arg-type]


_register_builtin()
