"""Typed errors of the outbound WeCom client.

WeCom answers HTTP 200 with a non-zero `errcode` for every failure; the client turns each into
one of these so callers branch on a class, never on errmsg text (which carries a random hint).
Which of them are retried is decided by `RETRYABLE` in one place.
"""

from __future__ import annotations


class WeComApiError(Exception):
    """A non-zero errcode from WeCom. Business errors are raised as this class, never retried."""

    def __init__(self, errcode: int, errmsg: str, api: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.api = api
        super().__init__(f"{api}: {errcode} {errmsg}")


class TokenError(WeComApiError):
    """40001/40014/42001: the access token (or the secret behind it) is not accepted."""


class SystemBusyError(WeComApiError):
    """-1: WeCom is busy; retried with back-off."""


class RateLimitedError(WeComApiError):
    """45009: the per-minute (or longer) quota is spent; WeCom blocks until the window ends."""

    def __init__(self, errcode: int, errmsg: str, api: str, *, block_seconds: float = 60.0):
        super().__init__(errcode, errmsg, api)
        self.block_seconds = block_seconds


class ConcurrencyLimitError(WeComApiError):
    """45033: too many concurrent calls to one API for the corp."""


class WeComTransportError(WeComApiError):
    """Network failure, timeout or HTTP 5xx that outlived every retry (errcode -2, our own)."""

    def __init__(self, errmsg: str, api: str, *, http_status: int | None = None) -> None:
        super().__init__(TRANSPORT_ERRCODE, errmsg, api)
        self.http_status = http_status


# Not a WeCom code: marks network failures in the journal and in WeComTransportError.
TRANSPORT_ERRCODE = -2
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Only system-side conditions; a business errcode means the same request will fail again.
RETRYABLE = frozenset({-1, 45009, 45033, TRANSPORT_ERRCODE})


def error_for(errcode: int, errmsg: str, api: str) -> WeComApiError:
    if errcode in TOKEN_ERRCODES:
        return TokenError(errcode, errmsg, api)
    if errcode == -1:
        return SystemBusyError(errcode, errmsg, api)
    if errcode == 45009:
        return RateLimitedError(errcode, errmsg, api)
    if errcode == 45033:
        return ConcurrencyLimitError(errcode, errmsg, api)
    return WeComApiError(errcode, errmsg, api)
