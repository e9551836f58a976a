"""Reading WeCom request fields with WeCom's errcodes for missing or invalid values."""

from __future__ import annotations

import builtins
from typing import Any

from siyu.wecom.errors import WeComError

INVALID = 40058


class Params:
    """Typed access to a query string or JSON body; every failure is a WeComError.

    Method names mirror the builtins, so annotations here spell `builtins.str` and co.
    """

    def __init__(self, data: builtins.dict[builtins.str, Any]) -> None:
        self.data = data

    def has(self, name: builtins.str) -> builtins.bool:
        return self.data.get(name) not in (None, "", [])

    def str(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = False,
        missing: builtins.int = INVALID,
        max_len: builtins.int | None = None,
        too_long: builtins.int = INVALID,
        default: builtins.str = "",
    ) -> builtins.str:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise WeComError(missing, f"{name} missing")
            return default
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            else:
                raise WeComError(INVALID, f"invalid {name}")
        if max_len is not None and len(value) > max_len:
            raise WeComError(too_long, f"{name} exceeds {max_len} characters")
        return value

    def int(
        self,
        name: builtins.str,
        *,
        default: builtins.int | None = None,
        required: builtins.bool = False,
        missing: builtins.int = INVALID,
        lo: builtins.int | None = None,
        hi: builtins.int | None = None,
        invalid: builtins.int = INVALID,
    ) -> builtins.int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise WeComError(missing, f"{name} missing")
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise WeComError(invalid, f"invalid {name}") from None
        if (
            isinstance(value, bool)
            or (lo is not None and number < lo)
            or (hi is not None and number > hi)
        ):
            raise WeComError(invalid, f"invalid {name}")
        return number

    def req_int(self, name: builtins.str, **kwargs: Any) -> builtins.int:
        value = self.int(name, required=True, **kwargs)
        assert value is not None
        return value

    def bool(self, name: builtins.str, *, default: builtins.bool) -> builtins.bool:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise WeComError(INVALID, f"invalid {name}")

    def list(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = False,
        missing: builtins.int = INVALID,
        max_items: builtins.int | None = None,
        too_many: builtins.int = INVALID,
    ) -> builtins.list[Any]:
        value = self.data.get(name)
        if value is None or value == []:
            if required:
                raise WeComError(missing, f"{name} missing")
            return []
        if not isinstance(value, list):
            raise WeComError(INVALID, f"invalid {name}")
        if max_items is not None and len(value) > max_items:
            raise WeComError(too_many, f"{name} exceeds {max_items} items")
        return value

    def str_list(self, name: builtins.str, **kwargs: Any) -> builtins.list[builtins.str]:
        items = self.list(name, **kwargs)
        if not all(isinstance(item, str) for item in items):
            raise WeComError(INVALID, f"invalid {name}")
        return items

    def dict(self, name: builtins.str) -> builtins.dict[builtins.str, Any]:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise WeComError(INVALID, f"invalid {name}")
        return value

    def sub(self, name: builtins.str) -> Params:
        return Params(self.dict(name))


def limit_of(params: Params, *, default: int, maximum: int, clamp: bool = True) -> int:
    """Page size: WeCom clamps most limits to the maximum; some APIs reject instead."""
    value = params.int("limit", default=default, lo=0)
    assert value is not None
    if value == 0:
        return default
    if value > maximum:
        if not clamp:
            raise WeComError(INVALID, f"limit exceeds {maximum}")
        return maximum
    return value


def offset_cursor(params: Params) -> int:
    """Cursors are opaque to clients; the sandbox encodes a plain offset in them."""
    cursor = params.str("cursor")
    if not cursor:
        return 0
    if not cursor.startswith("c") or not cursor[1:].isdigit():
        raise WeComError(INVALID, "invalid cursor")
    return int(cursor[1:])


def next_cursor(offset: int, total: int) -> str:
    return f"c{offset}" if offset < total else ""
