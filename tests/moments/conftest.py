"""The sandbox-backed world (tests/customers/world.py) with a materials directory."""

from tests.materials.conftest import settings, world

__all__ = ["settings", "world"]
