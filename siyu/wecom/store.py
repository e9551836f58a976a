"""The store every process of an installation shares: Redis when configured, else the database.

Both backends answer the same small protocol, so the token cache and the limiter above them do
not know which one they run on. Redis keys expire by themselves; database rows are bounded by
the number of corps × APIs (old rate windows are deleted as new ones open).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import redis

from siyu.kit.clock import utcnow


class SharedStore(Protocol):
    def get_token(self, key: str) -> tuple[str, datetime] | None: ...
    def lease_refresh(self, key: str, holder: str, seconds: float) -> bool: ...
    def put_token(self, key: str, token: str, expires_at: datetime) -> None: ...
    def end_refresh(self, key: str, holder: str) -> None: ...
    def drop_token(self, key: str, token: str) -> None: ...
    def take(self, corp: str, api: str, window: int, want: int, limit: int) -> int: ...
    def lease_slot(
        self, corp: str, api: str, cap: int, holder: str, until: datetime
    ) -> int | None: ...
    def renew_slot(self, corp: str, api: str, slot: int, holder: str, until: datetime) -> bool: ...
    def release_slots(self, corp: str, api: str, slots: Sequence[int], holder: str) -> None: ...


# Deletes or extends a key only while it still holds our value (a lease we own).
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)
_TAKE = """
local used = tonumber(redis.call('get', KEYS[1]) or '0')
local granted = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if granted <= 0 then return 0 end
redis.call('incrby', KEYS[1], granted)
redis.call('expire', KEYS[1], 180)
return granted
"""


def _ms_until(moment: datetime) -> int:
    return max(1, int((moment - utcnow()).total_seconds() * 1000))


class RedisStore:
    """Leases are keys set with NX and a TTL; Lua keeps check-and-act steps atomic."""

    def __init__(self, url: str, *, prefix: str = "siyu:wecom:") -> None:
        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._release = self.redis.register_script(_RELEASE)
        self._renew = self.redis.register_script(_RENEW)
        self._take = self.redis.register_script(_TAKE)

    def get_token(self, key: str) -> tuple[str, datetime] | None:
        raw = cast(list[Any], self.redis.hmget(f"{self.prefix}token:{key}", ["token", "exp"]))
        if raw[0] is None or raw[1] is None:
            return None
        return raw[0].decode(), datetime.fromtimestamp(float(raw[1]), UTC)

    def lease_refresh(self, key: str, holder: str, seconds: float) -> bool:
        return bool(
            self.redis.set(
                f"{self.prefix}refresh:{key}", holder, nx=True, px=max(1, int(seconds * 1000))
            )
        )

    def put_token(self, key: str, token: str, expires_at: datetime) -> None:
        name = f"{self.prefix}token:{key}"
        pipe = self.redis.pipeline()
        pipe.hset(name, mapping={"token": token, "exp": str(expires_at.timestamp())})
        pipe.pexpire(name, _ms_until(expires_at))
        pipe.execute()

    def end_refresh(self, key: str, holder: str) -> None:
        self._release(keys=[f"{self.prefix}refresh:{key}"], args=[holder])

    def drop_token(self, key: str, token: str) -> None:
        name = f"{self.prefix}token:{key}"
        raw = self.redis.hget(name, "token")
        if isinstance(raw, bytes) and raw.decode() == token:
            self.redis.delete(name)

    def take(self, corp: str, api: str, window: int, want: int, limit: int) -> int:
        name = f"{self.prefix}rate:{corp}:{api}:{window}"
        return int(cast(int, self._take(keys=[name], args=[want, limit])))

    def lease_slot(self, corp: str, api: str, cap: int, holder: str, until: datetime) -> int | None:
        ttl = _ms_until(until)
        for slot in range(cap):
            if self.redis.set(f"{self.prefix}slot:{corp}:{api}:{slot}", holder, nx=True, px=ttl):
                return slot
        return None

    def renew_slot(self, corp: str, api: str, slot: int, holder: str, until: datetime) -> bool:
        name = f"{self.prefix}slot:{corp}:{api}:{slot}"
        return bool(self._renew(keys=[name], args=[holder, _ms_until(until)]))

    def release_slots(self, corp: str, api: str, slots: Sequence[int], holder: str) -> None:
        for slot in slots:
            self._release(keys=[f"{self.prefix}slot:{corp}:{api}:{slot}"], args=[holder])

    def close(self) -> None:
        self.redis.close()


class MemoryStore:
    """One process's store, for runtimes whose database is a single test connection (which
    other threads must not touch) and for tools that never share a corp with another process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._refresh: dict[str, tuple[str, datetime]] = {}
        self._windows: dict[tuple[str, str, int], int] = {}
        self._slots: dict[tuple[str, str, int], tuple[str, datetime]] = {}

    def get_token(self, key: str) -> tuple[str, datetime] | None:
        with self._lock:
            return self._tokens.get(key)

    def lease_refresh(self, key: str, holder: str, seconds: float) -> bool:
        now = utcnow()
        with self._lock:
            current = self._refresh.get(key)
            if current is not None and current[1] > now:
                return False
            self._refresh[key] = (holder, now + timedelta(seconds=seconds))
            return True

    def put_token(self, key: str, token: str, expires_at: datetime) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def end_refresh(self, key: str, holder: str) -> None:
        with self._lock:
            if self._refresh.get(key, ("", None))[0] == holder:
                del self._refresh[key]

    def drop_token(self, key: str, token: str) -> None:
        with self._lock:
            if self._tokens.get(key, ("", None))[0] == token:
                del self._tokens[key]

    def take(self, corp: str, api: str, window: int, want: int, limit: int) -> int:
        with self._lock:
            used = self._windows.get((corp, api, window), 0)
            granted = max(0, min(want, limit - used))
            self._windows[(corp, api, window)] = used + granted
            return granted

    def lease_slot(self, corp: str, api: str, cap: int, holder: str, until: datetime) -> int | None:
        now = utcnow()
        with self._lock:
            for slot in range(cap):
                current = self._slots.get((corp, api, slot))
                if current is None or current[1] < now:
                    self._slots[(corp, api, slot)] = (holder, until)
                    return slot
            return None

    def renew_slot(self, corp: str, api: str, slot: int, holder: str, until: datetime) -> bool:
        with self._lock:
            current = self._slots.get((corp, api, slot))
            if current is None or current[0] != holder or current[1] < utcnow():
                return False
            self._slots[(corp, api, slot)] = (holder, until)
            return True

    def release_slots(self, corp: str, api: str, slots: Sequence[int], holder: str) -> None:
        with self._lock:
            for slot in slots:
                if self._slots.get((corp, api, slot), ("", None))[0] == holder:
                    del self._slots[(corp, api, slot)]
