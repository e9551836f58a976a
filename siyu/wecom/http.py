"""WeCom's HTTP: JSON over keep-alive HTTP/1.1 connections, on the standard library.

WeCom's API is small JSON bodies over HTTPS, and Siyu makes a great many of its calls from
threads that share one GIL with the callback gateway (the welcome lane sends one per add).
httpx spent about 560 µs of CPU on such a call against http.client's 150 µs (loopback; the
welcome numbers are in docs/acquisition.md): during a 200 adds/s burst its calls were a quarter of
the gateway process's GIL time. So plain calls go over pooled `http.client` connections, and
httpx is kept for what it does that this does not: multipart uploads (media) and an egress
proxy from the environment (`HTTPS_PROXY` and friends, honoured as httpx does).
"""

from __future__ import annotations

import http.client
import json as jsonlib
import ssl
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

# Idle keep-alive connections kept per origin (the lane and a sync make tens at once).
MAX_IDLE_PER_ORIGIN = 200
_HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "siyu"}
# Raised on a reused connection the server had already closed while it sat idle: the request
# never reached a handler, so it is sent again on a new connection (once).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

Files = dict[str, tuple[str, bytes, str]]
Origin = tuple[str, str, int]


class TransportError(Exception):
    """The call did not get an HTTP answer: refused, timed out, cut off, unreadable."""


@dataclass(frozen=True)
class HttpAnswer:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class KeepAliveHttp:
    """Thread-safe: each call borrows an idle connection to its origin or opens one."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._proxied: dict[Origin, bool] = {}
        self._proxies = urllib.request.getproxies()
        self._tls: ssl.SSLContext | None = None
        self._fallback: httpx.Client | None = None

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Files | None = None,
    ) -> HttpAnswer:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "", parts.port or _default_port(parts.scheme))
        if files is not None or self._is_proxied(origin):
            return self._through_httpx(method, url, params=params, json=json, files=files)
        target = parts.path or "/"
        query = "&".join(q for q in (parts.query, urlencode(params or {})) if q)
        if query:
            target = f"{target}?{query}"
        body = None
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
        for _ in range(2):
            connection, reused = self._borrow(origin)
            try:
                connection.request(method, target, body=body, headers=_HEADERS)
                response = connection.getresponse()
                content = response.read()
            except _STALE as exc:
                connection.close()
                if reused:
                    continue
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            if response.will_close:
                connection.close()
            else:
                self._give_back(origin, connection)
            return HttpAnswer(response.status, content)
        raise TransportError("the server closed every connection it was offered")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
            fallback, self._fallback = self._fallback, None
        for connections in idle.values():
            for connection in connections:
                connection.close()
        if fallback is not None:
            fallback.close()

    def _borrow(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(origin)
            if idle:
                return idle.pop(), True
        scheme, host, port = origin
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self._timeout, context=self._tls_context()
            ), False
        return http.client.HTTPConnection(host, port, timeout=self._timeout), False

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE_PER_ORIGIN:
                idle.append(connection)
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return self._tls

    def _is_proxied(self, origin: Origin) -> bool:
        known = self._proxied.get(origin)
        if known is None:
            scheme, host, _ = origin
            proxy = self._proxies.get(scheme) or self._proxies.get("all")
            known = bool(proxy) and not urllib.request.proxy_bypass(host)
            self._proxied[origin] = known
        return known

    def _through_httpx(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        files: Files | None,
    ) -> HttpAnswer:
        with self._lock:
            if self._fallback is None:
                self._fallback = httpx.Client(
                    timeout=self._timeout,
                    limits=httpx.Limits(max_keepalive_connections=MAX_IDLE_PER_ORIGIN),
                )
            client = self._fallback
        try:
            response = client.request(method, url, params=params, json=json, files=files)
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return HttpAnswer(response.status_code, response.content)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
