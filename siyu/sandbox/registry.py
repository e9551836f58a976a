"""The table of WeCom endpoints the sandbox serves, filled by the `api_*` modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from siyu.sandbox.models import Corp
from siyu.sandbox.params import Params
from siyu.sandbox.state import SandboxState


@dataclass(slots=True)
class Ctx:
    state: SandboxState
    corp: Corp
    params: Params  # the JSON body for POST, the query string for GET
    query: Params
    now: int


# A handler answers the fields after errcode/errmsg: a dict, or pre-rendered JSON members
# (`"a":1,"b":[...]`) on hot paths where encoding dominates.
Handler = Callable[[Ctx], dict[str, Any] | bytes]


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    method: str
    handler: Handler


ENDPOINTS: dict[str, Endpoint] = {}


def api(path: str, method: str = "POST") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ENDPOINTS[path] = Endpoint(path, method, handler)
        return handler

    return register
