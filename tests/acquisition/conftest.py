"""The sandbox-backed world fixture (see tests/customers/world.py), on the sandbox's day.

Caps count adds per China day from WeCom's add times, so Siyu's clock is set to the sandbox's
start (both then agree what "today" is).
"""

from datetime import UTC, datetime

import pytest

from siyu.kit.clock import FrozenClock
from tests.customers.world import world
from tests.sandbox.helpers import START

__all__ = ["world"]


@pytest.fixture(autouse=True)
def sandbox_day(clock: FrozenClock) -> FrozenClock:
    clock.set(datetime.fromtimestamp(START, UTC))
    return clock
