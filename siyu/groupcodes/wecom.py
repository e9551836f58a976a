"""The join way behind a group code, through Siyu's WeCom client (API-FACTS §4.5)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog

from siyu.groupcodes.models import GroupCode
from siyu.kit.errors import SiyuError
from siyu.wecom.client import WeComClient
from siyu.wecom.exceptions import WeComApiError

log = structlog.get_logger(__name__)

QR_SCENE = 2  # 群二维码插件: the scene that has a qr_code
GONE_ERRCODES = frozenset({41044})  # the join way was deleted in WeCom already


class WeComRefused(SiyuError):
    status_code = 502
    code = "wecom_error"


@contextmanager
def wecom_errors() -> Iterator[None]:
    """In a request, a WeCom refusal is a 502 naming WeCom's errcode (and nothing is written)."""
    try:
        yield
    except WeComApiError as exc:
        raise WeComRefused(
            f"WeCom refused {exc.api}: {exc.errcode} {exc.errmsg}",
            details={"errcode": exc.errcode, "api": exc.api},
        ) from exc


class JoinWays:
    def __init__(self, client: WeComClient) -> None:
        self.client = client

    def _fields(self, code: GroupCode, chat_ids: Sequence[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "remark": code.name[:30],
            "auto_create_room": int(code.auto_create_room),
            "chat_id_list": list(chat_ids),
            "state": code.state,
        }
        if code.auto_create_room:
            fields["room_base_name"] = code.room_base_name
            if code.room_base_id is not None:
                fields["room_base_id"] = code.room_base_id
        return fields

    def add(self, code: GroupCode, chat_ids: Sequence[str]) -> str:
        return self.client.add_join_way(scene=QR_SCENE, **self._fields(code, chat_ids)).config_id

    def update(self, code: GroupCode, chat_ids: Sequence[str]) -> None:
        """Overwrite semantics: every field is sent every time (API-FACTS §4.5)."""
        assert code.config_id is not None
        self.client.update_join_way(
            config_id=code.config_id, scene=QR_SCENE, **self._fields(code, chat_ids)
        )

    def get(self, code: GroupCode) -> dict[str, Any]:
        assert code.config_id is not None
        return dict(self.client.get_join_way(config_id=code.config_id).join_way)

    def qr_code(self, code: GroupCode) -> str | None:
        value = self.get(code).get("qr_code")
        return str(value) if value else None

    def discard(self, code: GroupCode) -> None:
        """Undo `add` for a code whose row never committed. Best effort: a failure is logged
        (the orphan join way then only lingers in WeCom's list; it routes nobody new)."""
        try:
            self.delete(code)
        except WeComApiError:
            log.warning("join_way_not_discarded", config_id=code.config_id, exc_info=True)

    def delete(self, code: GroupCode) -> None:
        assert code.config_id is not None
        self.delete_config(code.config_id)

    def delete_config(self, config_id: str) -> None:
        """del_join_way; a way WeCom no longer has counts as deleted."""
        try:
            self.client.del_join_way(config_id=config_id)
        except WeComApiError as exc:
            if exc.errcode not in GONE_ERRCODES:
                raise
