"""The sandbox's own clock: real time plus an offset, or frozen.

It is independent of `siyu.kit.clock` on purpose: Siyu and the sandbox share one process in
tests, and moving the sandbox's time (to expire a welcome code) must not move Siyu's.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    def __init__(self, *, frozen_at: float | None = None, offset: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset = offset
        self._frozen: float | None = frozen_at

    def time(self) -> float:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return time.time() + self._offset

    def ts(self) -> int:
        return int(self.time())

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> float:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
                return self._frozen
            self._offset += seconds
            return time.time() + self._offset

    def set(self, timestamp: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen = timestamp
            else:
                self._offset = timestamp - time.time()

    def freeze(self) -> None:
        with self._lock:
            if self._frozen is None:
                self._frozen = time.time() + self._offset

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None

    def snapshot(self) -> tuple[float | None, float]:
        with self._lock:
            return self._frozen, self._offset

    def restore(self, snapshot: tuple[float | None, float]) -> None:
        with self._lock:
            self._frozen, self._offset = snapshot

    def describe(self) -> dict[str, object]:
        now = self.time()
        with self._lock:
            return {
                "now": now,
                "iso": datetime.fromtimestamp(now, UTC).isoformat(),
                "frozen": self._frozen is not None,
                "offset": self._offset,
            }
