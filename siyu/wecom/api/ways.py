"""「联系我」 contact ways, group join ways and welcome messages."""

from __future__ import annotations

from typing import Any

from siyu.wecom.api.base import ApiBase
from siyu.wecom.schemas import ConfigCreated, ContactWayGet, ContactWayList, JoinWayGet, Result

P = "externalcontact/"


class WaysApi(ApiBase):
    def add_contact_way(self, *, type: int, scene: int, **fields: Any) -> ConfigCreated:  # noqa: A002
        """Fields as documented: style, remark, skip_verify, state, user, party, is_temp, …"""
        return self._post(
            P + "add_contact_way", ConfigCreated, {"type": type, "scene": scene} | fields
        )

    def get_contact_way(self, *, config_id: str) -> ContactWayGet:
        return self._post(P + "get_contact_way", ContactWayGet, {"config_id": config_id})

    def update_contact_way(self, *, config_id: str, **fields: Any) -> Result:
        return self._post(P + "update_contact_way", Result, {"config_id": config_id} | fields)

    def del_contact_way(self, *, config_id: str) -> Result:
        return self._post(P + "del_contact_way", Result, {"config_id": config_id})

    def list_contact_way(
        self,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> ContactWayList:
        body = {"start_time": start_time, "end_time": end_time, "cursor": cursor, "limit": limit}
        return self._post(P + "list_contact_way", ContactWayList, body)

    def send_welcome_msg(
        self,
        *,
        welcome_code: str,
        text: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Result:
        body = {
            "welcome_code": welcome_code,
            "text": {"content": text} if text is not None else None,
            "attachments": attachments,
        }
        return self._post(P + "send_welcome_msg", Result, body)

    def add_join_way(self, *, scene: int, **fields: Any) -> ConfigCreated:
        """Fields: remark, auto_create_room, room_base_name, room_base_id, chat_id_list, state."""
        return self._post(P + "groupchat/add_join_way", ConfigCreated, {"scene": scene} | fields)

    def get_join_way(self, *, config_id: str) -> JoinWayGet:
        return self._post(P + "groupchat/get_join_way", JoinWayGet, {"config_id": config_id})

    def update_join_way(self, *, config_id: str, scene: int, **fields: Any) -> Result:
        body = {"config_id": config_id, "scene": scene} | fields
        return self._post(P + "groupchat/update_join_way", Result, body)

    def del_join_way(self, *, config_id: str) -> Result:
        return self._post(P + "groupchat/del_join_way", Result, {"config_id": config_id})
