"""Siyu's outbound WeCom client.

`WeComClient` is cheap (credentials plus a reference to the process's `WeComTransport`), so make
one per corp per unit of work with `client_for(runtime, corp)`. Every call:
1. takes a call from the corp API's minute quota and a concurrency slot (`ratelimit`),
2. sends the request with the app's cached token (`tokens`), refetching it once on
   40001/40014/42001,
3. retries -1, 45009 (after the block window), 45033, network errors and 5xx with jittered
   exponential back-off, and raises anything else at once as a typed `WeComApiError`,
4. journals the attempt (`journal`) off the caller's thread and transaction.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from siyu.corps.service import corp_service
from siyu.kit.clock import utcnow
from siyu.kit.secrets import SecretBox
from siyu.wecom.api.customers import CustomersApi
from siyu.wecom.api.groups import GroupsApi
from siyu.wecom.api.mass import MassApi
from siyu.wecom.api.media import MediaApi
from siyu.wecom.api.moments import MomentsApi
from siyu.wecom.api.org import OrgApi
from siyu.wecom.api.ways import WaysApi
from siyu.wecom.exceptions import (
    RETRYABLE,
    TOKEN_ERRCODES,
    TRANSPORT_ERRCODE,
    ConcurrencyLimitError,
    RateLimitedError,
    SystemBusyError,
    TokenError,
    WeComApiError,
    WeComTransportError,
    error_for,
)
from siyu.wecom.http import TransportError
from siyu.wecom.journal import CallRecord
from siyu.wecom.ratelimit import seconds_to_next_window
from siyu.wecom.tokens import AppCredentials
from siyu.wecom.transport import WeComTransport, wecom_transport

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime

__all__ = [
    "AppCredentials",
    "ConcurrencyLimitError",
    "RateLimitedError",
    "SystemBusyError",
    "TokenError",
    "WeComApiError",
    "WeComClient",
    "WeComTransportError",
    "client_for",
]

M = TypeVar("M", bound=BaseModel)


class _Attempt:
    """The outcome of one HTTP attempt, before it is classified."""

    __slots__ = ("body", "errcode", "errmsg", "status")

    def __init__(self, body: dict[str, Any] | None, status: int | None, errcode: int, errmsg: str):
        self.body, self.status, self.errcode, self.errmsg = body, status, errcode, errmsg


class WeComClient(OrgApi, CustomersApi, WaysApi, GroupsApi, MassApi, MediaApi, MomentsApi):
    def __init__(self, credentials: AppCredentials, *, transport: WeComTransport) -> None:
        self.credentials = credentials
        self.transport = transport
        self._base = credentials.base_url.rstrip("/") + "/cgi-bin/"

    # -- tokens ---------------------------------------------------------------------------
    def _fetch_token(self, credentials: AppCredentials) -> tuple[str, int]:
        params = {"corpid": credentials.wecom_corp_id, "corpsecret": credentials.secret}
        attempt = self._send("gettoken", "GET", params, None, attempt=1)
        if attempt.errcode != 0 or attempt.body is None:
            raise error_for(attempt.errcode, attempt.errmsg, "gettoken")
        return str(attempt.body["access_token"]), int(attempt.body.get("expires_in", 7200))

    def access_token(self) -> str:
        return self.transport.tokens.get(self.credentials, self._fetch_token)

    # -- calls ----------------------------------------------------------------------------
    def call(
        self,
        api: str,
        *,
        method: str = "POST",
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """Call `cgi-bin/{api}` and return WeCom's JSON answer (errcode 0), or raise.

        `files` (field → (filename, bytes, content type)) sends a multipart body instead of
        JSON, as the media APIs take it."""
        retry = self.transport.retry
        limiter = self.transport.limiter
        corp = self.credentials.wecom_corp_id
        refetched = False
        attempt_no = 0
        while True:
            attempt_no += 1
            token = self.access_token()
            query = {"access_token": token} | {
                k: v for k, v in (params or {}).items() if v is not None
            }
            limiter.take(corp, api)
            with limiter.slot(corp, api) as slot:
                attempt = self._send(api, method, query, body, attempt=attempt_no, files=files)
                if attempt.errcode == TRANSPORT_ERRCODE and attempt.status is None:
                    slot.hold_seconds = limiter.call_seconds
            if attempt.errcode == 0 and attempt.body is not None:
                return attempt.body
            if attempt.errcode in TOKEN_ERRCODES and not refetched:
                # WeCom may invalidate a token early (API-FACTS §1.1): refetch once.
                refetched = True
                self.transport.tokens.invalidate(self.credentials, token)
                attempt_no -= 1
                continue
            if attempt.errcode == TRANSPORT_ERRCODE:
                error: WeComApiError = WeComTransportError(
                    attempt.errmsg, api, http_status=attempt.status
                )
            else:
                error = error_for(attempt.errcode, attempt.errmsg, api)
            if attempt.errcode not in RETRYABLE or attempt_no >= retry.max_attempts:
                raise error
            if isinstance(error, RateLimitedError):
                # Blocked until WeCom's minute window ends; the whole process waits it out.
                error.block_seconds = seconds_to_next_window(utcnow())
                limiter.block(corp, api, error.block_seconds)
                continue
            self.transport.sleep(self._backoff(attempt_no))

    def _backoff(self, attempt_no: int) -> float:
        retry = self.transport.retry
        ceiling = min(retry.max_delay, retry.base_delay * float(2 ** (attempt_no - 1)))
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)

    def _send(
        self,
        api: str,
        method: str,
        params: dict[str, Any],
        body: dict[str, Any] | None,
        *,
        attempt: int,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> _Attempt:
        started_at = utcnow()
        start = time.perf_counter()
        result: _Attempt
        error: str | None = None
        try:
            if files is not None:
                response = self.transport.http.request(
                    method, self._base + api, params=params, files=files
                )
            else:
                response = self.transport.http.request(
                    method, self._base + api, params=params, json=body if method == "POST" else None
                )
            if response.status_code >= 500:
                error = f"HTTP {response.status_code}"
                result = _Attempt(None, response.status_code, TRANSPORT_ERRCODE, error)
            else:
                data = response.json()
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                errcode = int(data.get("errcode", 0))
                errmsg = str(data.get("errmsg", ""))
                result = _Attempt(data, response.status_code, errcode, errmsg)
                error = errmsg if errcode else None
        except (TransportError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            result = _Attempt(None, None, TRANSPORT_ERRCODE, error)
        self.transport.journal.record(
            CallRecord(
                corp_id=self.credentials.corp_id,
                wecom_corp_id=self.credentials.wecom_corp_id,
                api=api,
                started_at=started_at,
                duration_ms=(time.perf_counter() - start) * 1000,
                errcode=result.errcode,
                http_status=result.status,
                attempt=attempt,
                error=error,
            )
        )
        return result

    def _get(self, api: str, model: type[M], **params: Any) -> M:
        return model.model_validate(self.call(api, method="GET", params=params))

    def _post(self, api: str, model: type[M], body: dict[str, Any]) -> M:
        return model.model_validate(
            self.call(api, body={k: v for k, v in body.items() if v is not None})
        )


def client_for(runtime: Runtime, corp: Corp) -> WeComClient:
    """A client for `corp`'s self-built app, on the runtime's shared transport."""
    secrets = corp_service.secrets(corp, SecretBox(runtime.settings.secret_key))
    if not secrets.app_secret:
        raise WeComApiError(41004, "the corp has no app secret configured", "gettoken")
    credentials = AppCredentials(
        wecom_corp_id=secrets.wecom_corp_id,
        secret=secrets.app_secret,
        base_url=secrets.api_base_url,
        agent_id=secrets.agent_id,
        corp_id=corp.id,
    )
    return WeComClient(credentials, transport=wecom_transport(runtime))
