"""The sandbox's ASGI app: WeCom's /cgi-bin/ surface plus the /sandbox/ control API.

Plain Starlette with one catch-all route and a dict lookup per call: the hot path (token check,
rate limit, handler, JSON) stays a few microseconds above the handler itself. Handlers are
synchronous and run under the state lock on the event loop; only injected latency awaits.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from siyu.sandbox import (  # noqa: F401 - importing registers the endpoints
    api_core,
    api_groups,
    api_mass,
    api_media,
    api_moments,
    api_tags,
    api_transfer,
    api_ways,
)
from siyu.sandbox.api_media import parse_multipart
from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.control import control_routes
from siyu.sandbox.params import Params
from siyu.sandbox.registry import ENDPOINTS, Ctx
from siyu.sandbox.state import SandboxState
from siyu.wecom.errors import WeComError, format_errmsg


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Gate:
    """Per-corp, per-API minute counters (45009) and in-flight counts (45033)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.windows: dict[tuple[str, str], list[int]] = {}
        self.inflight: dict[tuple[str, str], int] = defaultdict(int)

    def admit(self, corp_id: str, api: str) -> None:
        key = (corp_id, api)
        minute = int(self.state.clock.time()) // 60
        window = self.windows.get(key)
        if window is None or window[0] != minute:
            # Only the current minute is tracked: once the window passes, the block lifts.
            window = self.windows[key] = [minute, 0]
        window[1] += 1
        if window[1] > self.state.rules.rate_limit_per_minute:
            raise WeComError(45009)
        if self.inflight[key] >= self.state.rules.concurrency_cap:
            raise WeComError(45033)
        self.inflight[key] += 1

    def release(self, corp_id: str, api: str) -> None:
        self.inflight[(corp_id, api)] -= 1


def _error(state: SandboxState, request: Request, exc: WeComError) -> Response:
    ip = request.client.host if request.client else "127.0.0.1"
    errmsg = format_errmsg(exc.errcode, exc.text, hint=state.next_hint(), ip=ip)
    return _Json({"errcode": exc.errcode, "errmsg": errmsg})


def _gettoken(state: SandboxState, query: Params) -> dict[str, Any]:
    corp_id = query.str("corpid", required=True, missing=41002)
    secret = query.str("corpsecret", required=True, missing=41004)
    corp = state.corps.get(corp_id)
    if corp is None:
        raise WeComError(40013)
    if secret != corp.secret:
        raise WeComError(40001)
    now = state.now()
    current = state.tokens.get(corp.current_token)
    # Within its lifetime a repeat call returns the same token (API-FACTS §1.1).
    if current is None or current[1] <= now:
        corp.current_token = state.token(
            64, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
        )
        state.tokens[corp.current_token] = (corp.corp_id, now + state.rules.token_ttl)
    expires_at = state.tokens[corp.current_token][1]
    return {"access_token": corp.current_token, "expires_in": expires_at - now}


def create_sandbox_app(state: SandboxState, *, emitter: CallbackEmitter | None = None) -> Starlette:
    """Build the app; callbacks are posted only when an emitter is attached (and started)."""
    if emitter is not None:
        state.emitter = emitter
    gate = Gate(state)

    async def cgi(request: Request) -> Response:
        path = request.path_params["path"]
        query = Params(dict(request.query_params))
        try:
            if path == "gettoken":
                with state.lock:
                    return _Json({"errcode": 0, "errmsg": "ok"} | _gettoken(state, query))
            endpoint = ENDPOINTS.get(path)
            if endpoint is None:
                return _Json(
                    {"errcode": 404, "errmsg": f"invalid url /cgi-bin/{path}"}, status_code=404
                )
            token = query.str("access_token")
            if not token:
                raise WeComError(41001)
            entry = state.tokens.get(token)
            if entry is None:
                raise WeComError(40014)
            corp_id, expires_at = entry
            if expires_at <= state.clock.time():
                raise WeComError(42001)
            if request.method != endpoint.method:
                raise WeComError(40058, f"{endpoint.method} required")
            gate.admit(corp_id, path)
            try:
                if state.faults.active:
                    delay = state.faults.latency(path)
                    if delay:
                        await asyncio.sleep(delay)
                    injected = state.faults.api_error(path)
                    if injected is not None:
                        raise WeComError(injected)
                if endpoint.method == "POST":
                    raw = await request.body()
                    content_type = request.headers.get("content-type", "")
                    if content_type.startswith("multipart/form-data"):
                        params = Params(parse_multipart(raw, content_type))  # media uploads
                    else:
                        try:
                            body = json.loads(raw) if raw else {}
                        except ValueError:
                            raise WeComError(40058, "invalid json") from None
                        if not isinstance(body, dict):
                            raise WeComError(40058, "invalid json")
                        params = Params(body)
                else:
                    params = query
                state.run_due()
                with state.lock:
                    ctx = Ctx(state, state.corps[corp_id], params, query, state.now())
                    result = endpoint.handler(ctx)
            finally:
                gate.release(corp_id, path)
        except WeComError as exc:
            return _error(state, request, exc)
        if isinstance(result, bytes):
            return Response(
                b'{"errcode":0,"errmsg":"ok",' + result + b"}", media_type="application/json"
            )
        return _Json({"errcode": 0, "errmsg": "ok"} | result)

    async def ping(_: Request) -> Response:
        return Response(b'{"errcode":0,"errmsg":"ok"}', media_type="application/json")

    routes = [
        Route("/cgi-bin/{path:path}", cgi, methods=["GET", "POST"]),
        Route("/sandbox/ping", ping, methods=["GET"]),
        *control_routes(state),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    app.state.started_at = time.time()
    return app
