"""The sandbox-backed world fixture (see tests/customers/world.py)."""

from tests.customers.world import world

__all__ = ["world"]
