"""What every API mixin relies on: the client's typed GET and POST."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class ApiBase:
    def _get(self, api: str, model: type[M], **params: Any) -> M:
        raise NotImplementedError

    def _post(self, api: str, model: type[M], body: dict[str, Any]) -> M:
        raise NotImplementedError
