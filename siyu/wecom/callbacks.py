"""The WeCom callback gateway: `GET|POST /wecom/callback/{corp_key}`.

Not under /api/v1 and no login: the signature authenticates the sender. A POST is verified
(constant-time signature), decrypted (receive id = our CorpID), parsed (`xmldoc`: no DTD, no
entities) and stored once in the inbox before the 200; a worker handles it afterwards. Anything
hostile or broken is answered with a 4xx and leaves only a counter and one log line behind.

It is a raw ASGI lane in front of the FastAPI app (decision 0004), the one hot path where a
benchmark showed it pays: FastAPI's routing, middleware and dependency layers cost more per
callback than verifying, decrypting and durably storing it (bench/callbacks.py). The lane
keeps what those layers would give it: the error envelope, the HTTP metrics, a body limit.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from siyu.corps.repository import corps
from siyu.corps.service import corp_service
from siyu.inbox.handlers import find_registration
from siyu.inbox.lane import UrgentItem
from siyu.inbox.service import inbox_service
from siyu.inbox.writer import InboxWriter
from siyu.kit.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable, SiyuError
from siyu.kit.secrets import SecretBox
from siyu.runtime import Runtime
from siyu.telemetry.metrics import callbacks_total, http_latency, http_requests
from siyu.wecom.crypto import (
    CryptoError,
    DecryptError,
    InvalidReceiveIdError,
    InvalidSignatureError,
    WXBizMsgCrypt,
)
from siyu.wecom.events import CallbackEvent, EventParseError, UnknownEvent, parse_event

log = structlog.get_logger("siyu.wecom.callbacks")

PREFIX = "/wecom/callback/"
ROUTE = "/wecom/callback/{corp_key}"  # the route label in HTTP metrics
# Decrypting a corp's Fernet-sealed token and AES key costs more than the whole rest of a
# callback, so the ready-to-use crypto object is kept this long (a changed secret applies after).
CRYPTO_TTL_SECONDS = 60.0
# WeCom documents no replay window; a timestamp this far off is only worth a log line.
SKEW_WARNING_SECONDS = 24 * 3600
MAX_PARAM_LENGTH = 4096


class PayloadTooLarge(SiyuError):
    status_code = 413
    code = "payload_too_large"


class MethodNotAllowed(SiyuError):
    status_code = 405
    code = "method_not_allowed"


@dataclass(frozen=True)
class CorpCrypto:
    corp_id: uuid.UUID
    crypto: WXBizMsgCrypt
    expires: float


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: bytes = b"text/plain; charset=utf-8"
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _error_answer(error: SiyuError) -> Answer:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if isinstance(error, MethodNotAllowed):
        headers = ((b"allow", b"GET, POST"),)
    return Answer(error.status_code, json.dumps(body).encode(), b"application/json", headers)


def _reject(reason: str, corp_key: str, error: SiyuError) -> SiyuError:
    _counted(callbacks_total, reason).inc()
    log.warning("callback_rejected", reason=reason, corp_key=corp_key, error=error.message)
    return error


def _check_skew(timestamp: str, corp_key: str) -> None:
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        return  # signed by the sender all the same; nothing more to say
    if skew > SKEW_WARNING_SECONDS:
        log.info("callback_timestamp_skew", corp_key=corp_key, skew_seconds=int(skew))


@lru_cache(maxsize=128)
def _counted(metric: Any, *labels: str) -> Any:
    """A metric's child for these labels: `labels()` validates, locks and hashes on every call,
    a few µs each, three times per callback."""
    return metric.labels(*labels)


def _query_params(query_string: bytes) -> dict[str, str]:
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:  # something is escaped: let the standard parser unquote it
        return dict(parse_qsl(text))
    # WeCom's own parameters (hex, digits, letters) need no unquoting: this split returns what
    # parse_qsl would (blank values dropped, the last repeat winning) at a third of its cost.
    return {name: value for name, _, value in map(_split_pair, text.split("&")) if value}


def _split_pair(pair: str) -> tuple[str, str, str]:
    return pair.partition("=")


def _query(scope: Scope, corp_key: str, *names: str) -> list[str]:
    params = _query_params(scope.get("query_string", b""))
    values = [params.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        error = BadRequest(f"missing query parameters: {', '.join(missing)}")
        raise _reject("bad_request", corp_key, error)
    if any(len(value) > MAX_PARAM_LENGTH for value in values):
        raise _reject("bad_request", corp_key, BadRequest("a query parameter is too long"))
    return values


async def _read_body(scope: Scope, receive: Receive, limit: int, corp_key: str) -> bytes:
    too_large = PayloadTooLarge(f"callback bodies are limited to {limit} bytes")
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _reject("too_large", corp_key, too_large)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _reject("too_large", corp_key, too_large)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class CallbackGateway:
    """Per-app caches and the group-commit writer (started on the first callback)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._crypto: dict[str, CorpCrypto] = {}
        self._writer: InboxWriter | None = None
        self._writer_lock = threading.Lock()

    @property
    def writer(self) -> InboxWriter:
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = InboxWriter(self.runtime)
        return self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _corp(self, corp_key: str) -> CorpCrypto:
        cached = self._crypto.get(corp_key)
        if cached is not None and cached.expires > time.monotonic():
            return cached
        try:
            loaded = await run_in_threadpool(self._load, corp_key)
        except NotFound as exc:
            raise _reject("unknown_corp", corp_key, exc) from None
        self._crypto[corp_key] = loaded
        return loaded

    def _load(self, corp_key: str) -> CorpCrypto:
        with self.runtime.db.transaction(write=False) as session:
            corp = corps.get_by_callback_key(session, corp_key)
            if corp is None:
                raise NotFound("no corp has this callback URL")
            secrets = corp_service.secrets(corp, SecretBox(self.runtime.settings.secret_key))
            corp_id = corp.id
        if not secrets.callback_token or not secrets.callback_aes_key:
            raise NotFound("this corp has no callback token and EncodingAESKey configured")
        try:
            crypto = WXBizMsgCrypt(
                secrets.callback_token, secrets.callback_aes_key, secrets.wecom_corp_id
            )
        except CryptoError as exc:
            raise NotFound(f"this corp's EncodingAESKey is unusable: {exc}") from exc
        return CorpCrypto(corp_id, crypto, time.monotonic() + CRYPTO_TTL_SECONDS)

    async def verify(self, scope: Scope, corp_key: str) -> Answer:
        """WeCom's URL verification: answer the decrypted echostr, bare (no quotes, no newline)."""
        corp = await self._corp(corp_key)
        signature, timestamp, nonce, echostr = _query(
            scope, corp_key, "msg_signature", "timestamp", "nonce", "echostr"
        )
        try:
            plain = corp.crypto.verify_url(signature, timestamp, nonce, echostr)
        except (InvalidSignatureError, InvalidReceiveIdError) as exc:
            raise _reject("bad_signature", corp_key, Forbidden(str(exc))) from None
        except (CryptoError, UnicodeDecodeError) as exc:
            raise _reject("bad_ciphertext", corp_key, BadRequest(str(exc))) from None
        _counted(callbacks_total, "verified").inc()
        log.info("callback_url_verified", corp_key=corp_key)
        return Answer(200, plain.encode("utf-8"))

    async def receive(self, scope: Scope, receive: Receive, corp_key: str) -> Answer:
        """Verify, decrypt, parse, store once; answer an empty 200 once the row is committed."""
        corp = await self._corp(corp_key)
        signature, timestamp, nonce = _query(scope, corp_key, "msg_signature", "timestamp", "nonce")
        limit = self.runtime.settings.callback_max_body_bytes
        body = await _read_body(scope, receive, limit, corp_key)
        try:
            payload = corp.crypto.decrypt_message(body, signature, timestamp, nonce)
            event = parse_event(payload)
        except InvalidSignatureError as exc:
            raise _reject("bad_signature", corp_key, Forbidden(str(exc))) from None
        except InvalidReceiveIdError as exc:
            raise _reject("wrong_receive_id", corp_key, Forbidden(str(exc))) from None
        except (DecryptError, EventParseError, UnicodeDecodeError) as exc:
            raise _reject("bad_xml", corp_key, BadRequest(f"callback rejected: {exc}")) from None
        _check_skew(timestamp, corp_key)
        row = inbox_service.new_row(corp_id=corp.corp_id, event=event, payload=payload)
        try:
            is_new = await self.writer.submit(row, urgent=_urgent(corp.corp_id, event, row))
        except Exception as exc:  # logged by the writer; WeCom retries a non-200 later
            raise ServiceUnavailable("the inbox could not store the callback; retry later") from exc
        _counted(callbacks_total, "stored" if is_new else "duplicate").inc()
        return Answer(200)

    async def answer(self, scope: Scope, receive: Receive) -> Answer:
        corp_key = scope["path"][len(PREFIX) :]
        if not corp_key or "/" in corp_key:
            return _error_answer(NotFound(f"no route for {scope['path']}"))
        try:
            if scope["method"] == "POST":
                return await self.receive(scope, receive, corp_key)
            if scope["method"] == "GET":
                return await self.verify(scope, corp_key)
            raise MethodNotAllowed(f"{scope['method']} is not allowed; WeCom uses GET and POST")
        except SiyuError as exc:
            return _error_answer(exc)
        except Exception:
            log.exception("callback_gateway_error", corp_key=corp_key)
            return _error_answer(ServiceUnavailable("the gateway failed; WeCom will retry"))


def _urgent(
    corp_id: uuid.UUID, event: CallbackEvent | UnknownEvent, row: dict[str, Any]
) -> UrgentItem | None:
    """The event's urgent work (the welcome), for the lane once its row has committed."""
    registration = find_registration(event)
    if registration is None or registration.urgent is None:
        return None
    return UrgentItem(registration.urgent, event, corp_id, row["id"], row["received_at"])


class CallbackLane:
    """The ASGI lane for callback paths, in front of the whole FastAPI stack (`SiyuApp`).

    FastAPI's own outer layers (server-error, telemetry and body-limit middleware) run before
    any user middleware, and under a callback burst they cost the gateway an eighth of its core;
    the lane gives the callback what it needs of them itself (see the module docstring)."""

    def __init__(self, gateway: CallbackGateway) -> None:
        self.gateway = gateway

    @staticmethod
    def handles(scope: Scope) -> bool:
        return scope["type"] == "http" and str(scope["path"]).startswith(PREFIX)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        answer = await self.gateway.answer(scope, receive)
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", answer.content_type),
            (b"content-length", str(len(answer.body)).encode()),
            *answer.headers,
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        method = scope["method"]
        _counted(http_requests, method, ROUTE, str(answer.status)).inc()
        _counted(http_latency, method, ROUTE).observe(time.perf_counter() - started)
