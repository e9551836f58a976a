"""WeCom errcodes (API-FACTS §1.2) and the errmsg format.

The texts are the short English errmsg WeCom puts before the ", hint: [...]" suffix; the sandbox
answers with them and Siyu's client classifies retries by code, never by text.
"""

from __future__ import annotations

ERRMSG_URL = "https://open.work.weixin.qq.com/devtool/query?e="

ERRCODES: dict[int, str] = {
    -1: "system busy",
    0: "ok",
    40001: "invalid credential",
    40003: "invalid userid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40011: "invalid video size",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40050: "chatid not found",
    40056: "invalid agentid",
    40058: "invalid parameter",
    40063: "some parameters are empty",
    40068: "invalid tagid",
    40071: "invalid tag name",
    40091: "secret is invalid",
    40096: "invalid external userid",
    40097: "user is not resigned",
    40098: "user is not real-name verified",
    40099: "external contact count reached limit",
    40100: "the external contacts of this user are already being transferred",
    40126: "corp tag count reached limit, at most 3000",
    40128: "customer transferred too often",
    40129: "customer is being transferred",
    40130: "handover user is the same as takeover user",
    40131: "handover userid is not a follow user of the external contact",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    41005: "media data missing",
    41035: "external userid missing",
    41037: "contact way type missing",
    41038: "contact way scene missing",
    41039: "invalid contact way type",
    41040: "invalid contact way scene",
    41041: "contact way user count exceeds limit",
    41042: "invalid contact way style",
    41043: "config_id missing",
    41044: "invalid config_id",
    41045: "contact way count reached limit",
    41046: "msgid missing",
    41047: "invalid msgid",
    41048: "no customer to send",
    41049: "welcome_code missing",
    41050: "invalid welcome_code",
    41051: "externaluser has started chatting",
    41053: "customer has not agreed to chat archiving",
    41054: "user is not activated",
    41063: "mass message is being dispatched, try again later",
    41064: "attachment count exceeds limit",
    41065: "invalid attachment type",
    41091: "join way can link at most 5 group chats",
    41093: "mass message task was cancelled",
    41094: "remind frequency out of limit",
    41096: "welcome message is being sent",
    42001: "access_token expired",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    48002: "api forbidden",
    60011: "no privilege to access/modify contact/party/agent",
    60111: "userid not found",
    60123: "invalid party id",
    81017: "request count exceeds limit",
    84061: "not external contact",
    84074: "no external contact privilege",
    90500: "the owner of this chat is not resigned",
    90501: "the chat is not a customer group",
    90503: "the chat is full",
    610014: "invalid unionid",
}


class WeComError(Exception):
    """A non-zero errcode answered by WeCom (or raised by the sandbox to answer one)."""

    def __init__(self, errcode: int, text: str | None = None) -> None:
        self.errcode = errcode
        self.text = text or ERRCODES.get(errcode, "error")
        super().__init__(f"{errcode}: {self.text}")


def format_errmsg(errcode: int, text: str, *, hint: str, ip: str) -> str:
    """WeCom's errmsg: '<text>, hint: [<id>], from ip: <ip>, more info at <url>?e=<code>'."""
    if errcode == 0:
        return "ok"
    return f"{text}, hint: [{hint}], from ip: {ip}, more info at {ERRMSG_URL}{errcode}"
