"""The pluggable SMS sender for phone-verified entry.

Siyu ships no SMS provider: the default sender logs the message (and keeps the last ones in
memory, which is what the console demo and the tests read). A deployment plugs in its
provider with `SIYU_SMS_SENDER=package.module:factory`, a callable returning an `SmsSender`.
"""

from __future__ import annotations

import importlib
from collections import deque
from typing import Protocol

import structlog

log = structlog.get_logger("siyu.groupcodes.sms")


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str) -> None:
        """Deliver `text` to `phone`, or raise; Siyu then answers 503 and keeps no challenge."""


class LogSmsSender:
    """Writes each message to the log; `sent` keeps the latest few for demos and tests."""

    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=keep)

    def send(self, *, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.info("sms_sent", phone=phone[:3] + "****" + phone[-4:], text=text)


_log_sender = LogSmsSender()
_loaded: dict[str, SmsSender] = {}


def sender_for(setting: str) -> SmsSender:
    if setting == "log":
        return _log_sender
    if setting not in _loaded:
        module_name, _, attribute = setting.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
        _loaded[setting] = factory()
    return _loaded[setting]


def log_outbox() -> LogSmsSender:
    return _log_sender
