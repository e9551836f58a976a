"""The WeCom callback gateway: `GET|POST /wecom/callback/{corp_key}`.

Not under /api/v1 and no login: the signature authenticates the sender. A POST is verified
(constant-time signature), decrypted (receive id = our CorpID), parsed with defusedxml and stored
once in the inbox before the 200; a worker handles it afterwards. Anything hostile or broken is
answered with a 4xx and leaves only a counter and one log line behind.

The route is async on purpose: it is the one hot path where a benchmark showed it pays (the
request waits for a group commit without holding a thread).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from siyu.corps.repository import corps
from siyu.corps.service import corp_service
from siyu.inbox.service import inbox_service
from siyu.inbox.writer import InboxWriter
from siyu.kit.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable, SiyuError
from siyu.kit.secrets import SecretBox
from siyu.runtime import Runtime
from siyu.telemetry.metrics import callbacks_total
from siyu.wecom.crypto import (
    CryptoError,
    DecryptError,
    InvalidReceiveIdError,
    InvalidSignatureError,
    WXBizMsgCrypt,
)
from siyu.wecom.events import EventParseError, parse_event

log = structlog.get_logger("siyu.wecom.callbacks")

router = APIRouter(tags=["wecom"])

# Decrypting a corp's Fernet-sealed token and AES key costs more than the whole rest of a
# callback, so the ready-to-use crypto object is kept this long (a changed secret applies after).
CRYPTO_TTL_SECONDS = 60.0
# WeCom documents no replay window; a timestamp this far off is only worth a log line.
SKEW_WARNING_SECONDS = 24 * 3600
MAX_PARAM_LENGTH = 4096


class PayloadTooLarge(SiyuError):
    status_code = 413
    code = "payload_too_large"


@dataclass(frozen=True)
class CorpCrypto:
    corp_id: uuid.UUID
    crypto: WXBizMsgCrypt
    expires: float


class GatewayState:
    """Per-app caches and the group-commit writer, created on the first callback."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.writer = InboxWriter(runtime)
        self._crypto: dict[str, CorpCrypto] = {}

    async def crypto_for(self, corp_key: str) -> CorpCrypto:
        cached = self._crypto.get(corp_key)
        if cached is not None and cached.expires > time.monotonic():
            return cached
        loaded = await run_in_threadpool(self._load, corp_key)
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


_state_lock = threading.Lock()


def gateway_state(request: Request) -> GatewayState:
    state: GatewayState | None = getattr(request.app.state, "wecom_gateway", None)
    if state is None:
        with _state_lock:
            state = getattr(request.app.state, "wecom_gateway", None)
            if state is None:
                state = GatewayState(request.app.state.runtime)
                request.app.state.wecom_gateway = state
    return state


def _reject(reason: str, corp_key: str, error: SiyuError) -> SiyuError:
    callbacks_total.labels(reason).inc()
    log.warning("callback_rejected", reason=reason, corp_key=corp_key, error=error.message)
    return error


def _check_skew(timestamp: str, corp_key: str) -> None:
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        return  # signed by the sender all the same; nothing more to say
    if skew > SKEW_WARNING_SECONDS:
        log.info("callback_timestamp_skew", corp_key=corp_key, skew_seconds=int(skew))


async def _read_body(request: Request, limit: int, corp_key: str) -> bytes:
    declared = request.headers.get("content-length")
    too_large = PayloadTooLarge(f"callback bodies are limited to {limit} bytes")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _reject("too_large", corp_key, too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _reject("too_large", corp_key, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _query(request: Request, corp_key: str, *names: str) -> list[str]:
    """The signing parameters, read by hand: FastAPI's parameter machinery costs more than the
    decryption on this path (bench/callbacks.py)."""
    params = request.query_params
    values = [params.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        error = BadRequest(f"missing query parameters: {', '.join(missing)}")
        raise _reject("bad_request", corp_key, error)
    if any(len(value) > MAX_PARAM_LENGTH for value in values):
        raise _reject("bad_request", corp_key, BadRequest("a query parameter is too long"))
    return values


async def _corp(state: GatewayState, corp_key: str) -> CorpCrypto:
    try:
        return await state.crypto_for(corp_key)
    except NotFound as exc:
        raise _reject("unknown_corp", corp_key, exc) from None


# Not in the OpenAPI document: WeCom is the only client, and it speaks its own protocol.
@router.get("/wecom/callback/{corp_key}", include_in_schema=False)
async def verify_wecom_callback(request: Request, corp_key: str) -> Response:
    """WeCom's URL verification: answer the decrypted echostr, bare (no quotes, no newline)."""
    state = gateway_state(request)
    corp = await _corp(state, corp_key)
    signature, timestamp, nonce, echostr = _query(
        request, corp_key, "msg_signature", "timestamp", "nonce", "echostr"
    )
    try:
        plain = corp.crypto.verify_url(signature, timestamp, nonce, echostr)
    except (InvalidSignatureError, InvalidReceiveIdError) as exc:
        raise _reject("bad_signature", corp_key, Forbidden(str(exc))) from None
    except (CryptoError, UnicodeDecodeError) as exc:
        raise _reject("bad_ciphertext", corp_key, BadRequest(str(exc))) from None
    callbacks_total.labels("verified").inc()
    log.info("callback_url_verified", corp_key=corp_key)
    return PlainTextResponse(plain)


@router.post("/wecom/callback/{corp_key}", include_in_schema=False)
async def receive_wecom_callback(request: Request, corp_key: str) -> Response:
    """Verify, decrypt, parse, store once; answer an empty 200 once the row is committed."""
    state = gateway_state(request)
    corp = await _corp(state, corp_key)
    signature, timestamp, nonce = _query(request, corp_key, "msg_signature", "timestamp", "nonce")
    body = await _read_body(request, state.runtime.settings.callback_max_body_bytes, corp_key)
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
        is_new = await state.writer.submit(row)
    except Exception as exc:  # logged by the writer; WeCom retries a non-200 later
        raise ServiceUnavailable("the inbox could not store the callback; retry later") from exc
    callbacks_total.labels("stored" if is_new else "duplicate").inc()
    return Response(status_code=200)
