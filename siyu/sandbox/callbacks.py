"""Posting encrypted callbacks the way WeCom does (API-FACTS §2).

One worker thread delivers events in order: a fresh timestamp and nonce per attempt, a 5-second
timeout, three attempts in all (a non-200 answer or a network error counts as a failure).
Faults may drop, duplicate or hold back (reorder) an event. Every outcome is logged so tests and
operators can see which event reached the receiver and how.
"""

from __future__ import annotations

import collections
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from siyu.sandbox.faults import Faults
from siyu.wecom.crypto import WXBizMsgCrypt
from siyu.wecom.events import CallbackEvent


@dataclass(frozen=True, slots=True)
class Outgoing:
    corp_id: str
    url: str
    token: str
    encoding_aes_key: str
    event: CallbackEvent
    seq: int


def _nonce() -> str:
    return secrets.token_hex(8)


def verify_callback_url(
    url: str, *, token: str, encoding_aes_key: str, corp_id: str, timeout: float = 5.0
) -> tuple[bool, str]:
    """WeCom's URL check: GET with an encrypted echostr; the receiver must echo the plaintext."""
    crypto = WXBizMsgCrypt(token, encoding_aes_key, corp_id)
    echo = secrets.token_hex(10)
    message = crypto.encrypt_message(echo, timestamp=str(int(time.time())), nonce=_nonce())
    params = message.query() | {"echostr": message.encrypt}
    try:
        response = httpx.get(url, params=params, timeout=timeout)
    except httpx.HTTPError as exc:
        return False, f"request failed: {exc.__class__.__name__}"
    if response.status_code != 200:
        return False, f"HTTP {response.status_code}"
    if response.text != echo:
        return False, "answer is not the decrypted echostr"
    return True, "ok"


class CallbackEmitter:
    def __init__(
        self,
        faults: Faults,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        retry_delay: float = 1.0,
        log_size: int = 10_000,
        senders: int = 1,
    ) -> None:
        """`senders` threads deliver concurrently, as WeCom does (it never waits for one
        callback's answer before sending the next). One sender keeps submission order apart
        from injected faults, which most tests want; load runs use several, or one slow
        answer would hold up every later event (and expire their welcome codes)."""
        if senders < 1:
            raise ValueError("senders must be at least 1")
        self.senders = senders
        self.faults = faults
        self.timeout = timeout
        self.attempts = attempts
        self.retry_delay = retry_delay
        self._queue: queue.Queue[Outgoing | None] = queue.Queue()
        self._log: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        self._log_lock = threading.Lock()
        self._seq = 0
        self._busy = 0
        self._idle = threading.Condition()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._run, name=f"sandbox-callbacks-{n}", daemon=True)
                for n in range(self.senders)
            ]
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=self.timeout * self.attempts + 5)
        self._threads = []

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted event has been delivered, dropped or given up on."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    # -- submission --------------------------------------------------------------------------
    def submit(
        self, *, corp_id: str, url: str, token: str, encoding_aes_key: str, event: CallbackEvent
    ) -> None:
        with self._idle:
            self._seq += 1
            self._busy += 1
            item = Outgoing(corp_id, url, token, encoding_aes_key, event, self._seq)
        self._queue.put(item)

    def log(self, corp_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        with self._log_lock:
            rows = [row for row in self._log if corp_id is None or row["corp_id"] == corp_id]
        return rows[-limit:]

    # -- worker ------------------------------------------------------------------------------
    def _done(self, count: int = 1) -> None:
        with self._idle:
            self._busy -= count
            self._idle.notify_all()

    def _run(self) -> None:
        # Each sender holds back at most one event of its own for the reorder fault.
        held: list[Outgoing] = []
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    # Nothing followed a held-back event: deliver it now rather than never.
                    self._release(client, held)
                    continue
                if item is None:
                    self._release(client, held)  # never strand a held-back event at shutdown
                    return
                self._handle(client, item, held)

    def _release(self, client: httpx.Client, held: list[Outgoing]) -> None:
        while held:
            self._deliver(client, held.pop(), "reordered")
            self._done()

    def _handle(self, client: httpx.Client, item: Outgoing, held: list[Outgoing]) -> None:
        fate = self.faults.callback_fate()
        if fate == "drop":
            self._record(item, "dropped", attempts=0, status=None)
            self._done()
            return
        if fate == "reorder" and not held:
            held.append(item)  # delivered after the next event
            return
        self._deliver(client, item, "delivered")
        if fate == "duplicate":
            self._deliver(client, item, "duplicate")
        self._done()
        self._release(client, held)

    def _deliver(self, client: httpx.Client, item: Outgoing, kind: str) -> None:
        crypto = WXBizMsgCrypt(item.token, item.encoding_aes_key, item.corp_id)
        xml = item.event.to_xml()
        status: int | None = None
        error = ""
        for attempt in range(1, self.attempts + 1):
            message = crypto.encrypt_message(xml, timestamp=str(int(time.time())), nonce=_nonce())
            body = message.envelope(to_user_name=item.corp_id)
            try:
                response = client.post(
                    item.url,
                    params=message.query(),
                    content=body.encode("utf-8"),
                    headers={"Content-Type": "text/xml"},
                )
                status = response.status_code
                if status == 200:
                    self._record(item, kind, attempts=attempt, status=status)
                    return
                error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                status, error = None, exc.__class__.__name__
            if attempt < self.attempts:
                time.sleep(self.retry_delay)
        self._record(item, "failed", attempts=self.attempts, status=status, error=error)

    def _record(
        self, item: Outgoing, outcome: str, *, attempts: int, status: int | None, error: str = ""
    ) -> None:
        event = item.event
        row = {
            "seq": item.seq,
            "corp_id": item.corp_id,
            "event": event.EVENT,
            "change_type": event.CHANGE_TYPE,
            "key": event.key(),
            "outcome": outcome,
            "attempts": attempts,
            "status": status,
            "error": error,
            "at": time.time(),
        }
        with self._log_lock:
            self._log.append(row)
