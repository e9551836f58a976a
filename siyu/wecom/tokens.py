"""Access tokens: cached per app, refreshed by one caller at a time across all processes.

WeCom throttles gettoken and blocks IPs that hammer it (API-FACTS §1.1), so N threads in M
processes that all find the token missing must produce one gettoken. In a process, a lock per
app serialises the check; across processes, a lease in the shared store picks the fetcher and
the others poll the store until the new token appears (or the lease lapses and they take over).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from siyu.kit.clock import utcnow
from siyu.wecom.ratelimit import Sleep
from siyu.wecom.store import SharedStore

# Refresh a little early so a token never expires between our check and WeCom's.
EARLY_SECONDS = 300.0
LEASE_SECONDS = 15.0


@dataclass(frozen=True)
class AppCredentials:
    """One WeCom app of one corp: what gettoken needs, plus where to send calls."""

    wecom_corp_id: str
    secret: str
    base_url: str = "https://qyapi.weixin.qq.com"
    agent_id: int | None = None
    # Siyu's corp row, for the journal; None for calls outside any registered corp.
    corp_id: uuid.UUID | None = None

    @property
    def token_key(self) -> str:
        digest = hashlib.sha256(self.secret.encode()).hexdigest()[:16]
        return f"{self.wecom_corp_id}:{digest}"


# Fetches a new token from WeCom: returns (access_token, expires_in seconds).
Fetch = Callable[[AppCredentials], tuple[str, int]]


class TokenCache:
    def __init__(self, store: SharedStore, *, sleep: Sleep, poll: float = 0.05) -> None:
        self.store = store
        self.sleep = sleep
        self.poll = poll
        self.holder = uuid.uuid4().hex
        self._local: dict[str, tuple[str, datetime]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, entry: tuple[str, datetime] | None) -> str | None:
        if entry is not None and entry[1] > utcnow():
            return entry[0]
        return None

    def get(self, credentials: AppCredentials, fetch: Fetch) -> str:
        key = credentials.token_key
        token = self._fresh(self._local.get(key))
        if token is not None:
            return token
        with self._lock(key):
            token = self._fresh(self._local.get(key))
            if token is not None:
                return token
            while True:
                entry = self.store.get_token(key)
                token = self._fresh(entry)
                if token is not None and entry is not None:
                    self._local[key] = entry
                    return token
                if self.store.lease_refresh(key, self.holder, LEASE_SECONDS):
                    return self._refresh(credentials, fetch)
                self.sleep(self.poll)

    def _refresh(self, credentials: AppCredentials, fetch: Fetch) -> str:
        key = credentials.token_key
        try:
            token, expires_in = fetch(credentials)
        except BaseException:
            self.store.end_refresh(key, self.holder)
            raise
        expires_at = utcnow() + timedelta(seconds=expires_in - min(EARLY_SECONDS, expires_in / 10))
        self.store.put_token(key, token, expires_at)
        self.store.end_refresh(key, self.holder)
        self._local[key] = (token, expires_at)
        return token

    def invalidate(self, credentials: AppCredentials, token: str) -> None:
        """WeCom rejected `token` (40014/42001): forget it here and in the shared store."""
        key = credentials.token_key
        with self._lock(key):
            entry = self._local.get(key)
            if entry is not None and entry[0] == token:
                del self._local[key]
        self.store.drop_token(key, token)
