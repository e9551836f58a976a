"""Typed customer-contact callback events (API-FACTS §3) with XML builders and a safe parser.

The sandbox builds events with `to_xml()`; Siyu's gateway parses decrypted payloads with
`parse_event()`. Anything the parser does not recognise is kept as `UnknownEvent` with its raw
fields, so new WeCom events are stored rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from siyu.wecom.xmldoc import UnsafeXMLError, parse_flat


class EventParseError(ValueError):
    """The payload is not a WeCom event document."""


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside one CDATA section; split it across two.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# field name -> (XML tag, kind); kind: "str" (CDATA), "int" (bare number), "list" (<Item>s)
_Spec = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, kw_only=True)
class CallbackEvent:
    """Fields common to every corp-internal callback event."""

    to_user_name: str
    create_time: int
    from_user_name: str = "sys"

    EVENT: ClassVar[str] = ""
    CHANGE_TYPE: ClassVar[str | None] = None
    SPEC: ClassVar[_Spec] = ()

    def to_xml(self) -> str:
        parts = [
            "<xml>",
            f"<ToUserName>{_cdata(self.to_user_name)}</ToUserName>",
            f"<FromUserName>{_cdata(self.from_user_name)}</FromUserName>",
            f"<CreateTime>{self.create_time}</CreateTime>",
            f"<MsgType>{_cdata('event')}</MsgType>",
            f"<Event>{_cdata(self.EVENT)}</Event>",
        ]
        if self.CHANGE_TYPE is not None:
            parts.append(f"<ChangeType>{_cdata(self.CHANGE_TYPE)}</ChangeType>")
        for name, tag, kind in self.SPEC:
            value = getattr(self, name)
            if value is None:
                continue
            if kind == "int":
                parts.append(f"<{tag}>{int(value)}</{tag}>")
            elif kind == "list":
                items = "".join(f"<Item>{_cdata(str(v))}</Item>" for v in value)
                parts.append(f"<{tag}>{items}</{tag}>")
            else:
                parts.append(f"<{tag}>{_cdata(str(value))}</{tag}>")
        parts.append("</xml>")
        return "".join(parts)

    def key(self) -> str:
        """A dedup key: FromUserName is always `sys`, so use the event's own identity fields."""
        ids = [str(getattr(self, name)) for name, _, _ in self.SPEC if getattr(self, name)]
        return ":".join([self.EVENT, self.CHANGE_TYPE or "", *ids, str(self.create_time)])


# --- change_external_contact ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExternalContactEvent(CallbackEvent):
    EVENT: ClassVar[str] = "change_external_contact"
    SPEC: ClassVar[_Spec] = (
        ("user_id", "UserID", "str"),
        ("external_user_id", "ExternalUserID", "str"),
    )
    user_id: str
    external_user_id: str


@dataclass(frozen=True, kw_only=True)
class AddExternalContact(ExternalContactEvent):
    CHANGE_TYPE: ClassVar[str | None] = "add_external_contact"
    SPEC: ClassVar[_Spec] = ExternalContactEvent.SPEC + (
        ("state", "State", "str"),
        ("welcome_code", "WelcomeCode", "str"),
    )
    state: str | None = None
    welcome_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class AddHalfExternalContact(AddExternalContact):
    CHANGE_TYPE: ClassVar[str | None] = "add_half_external_contact"


@dataclass(frozen=True, kw_only=True)
class EditExternalContact(ExternalContactEvent):
    CHANGE_TYPE: ClassVar[str | None] = "edit_external_contact"


@dataclass(frozen=True, kw_only=True)
class DelExternalContact(ExternalContactEvent):
    """Staff deleted the customer; `source=DELETE_BY_TRANSFER` when an in-service transfer did."""

    CHANGE_TYPE: ClassVar[str | None] = "del_external_contact"
    SPEC: ClassVar[_Spec] = ExternalContactEvent.SPEC + (("source", "Source", "str"),)
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class DelFollowUser(ExternalContactEvent):
    """The customer deleted the staff member (the relation stays visible one-way)."""

    CHANGE_TYPE: ClassVar[str | None] = "del_follow_user"


@dataclass(frozen=True, kw_only=True)
class TransferFail(ExternalContactEvent):
    """`user_id` is the take-over member; fail_reason customer_refused | customer_limit_exceed."""

    CHANGE_TYPE: ClassVar[str | None] = "transfer_fail"
    SPEC: ClassVar[_Spec] = (("fail_reason", "FailReason", "str"),) + ExternalContactEvent.SPEC
    fail_reason: str


@dataclass(frozen=True, kw_only=True)
class MsgAuditApproved(ExternalContactEvent):
    CHANGE_TYPE: ClassVar[str | None] = "msg_audit_approved"
    SPEC: ClassVar[_Spec] = ExternalContactEvent.SPEC + (("welcome_code", "WelcomeCode", "str"),)
    welcome_code: str | None = None


# --- change_external_chat -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExternalChatCreate(CallbackEvent):
    EVENT: ClassVar[str] = "change_external_chat"
    CHANGE_TYPE: ClassVar[str | None] = "create"
    SPEC: ClassVar[_Spec] = (("chat_id", "ChatId", "str"),)
    chat_id: str


@dataclass(frozen=True, kw_only=True)
class ExternalChatDismiss(ExternalChatCreate):
    CHANGE_TYPE: ClassVar[str | None] = "dismiss"


@dataclass(frozen=True, kw_only=True)
class ExternalChatUpdate(ExternalChatCreate):
    """update_detail: add_member | del_member | change_owner | change_name | change_notice."""

    CHANGE_TYPE: ClassVar[str | None] = "update"
    SPEC: ClassVar[_Spec] = (
        ("chat_id", "ChatId", "str"),
        ("update_detail", "UpdateDetail", "str"),
        ("join_scene", "JoinScene", "int"),
        ("quit_scene", "QuitScene", "int"),
        ("mem_change_cnt", "MemChangeCnt", "int"),
        ("mem_change_list", "MemChangeList", "list"),
        ("last_mem_ver", "LastMemVer", "str"),
        ("cur_mem_ver", "CurMemVer", "str"),
    )
    update_detail: str
    join_scene: int | None = None
    quit_scene: int | None = None
    mem_change_cnt: int | None = None
    mem_change_list: tuple[str, ...] | None = None
    last_mem_ver: str | None = None
    cur_mem_ver: str | None = None


# --- change_external_tag --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExternalTagEvent(CallbackEvent):
    """tag_type: tag | tag_group; strategy_id only for rule-group tags (system app only)."""

    EVENT: ClassVar[str] = "change_external_tag"
    SPEC: ClassVar[_Spec] = (
        ("id", "Id", "str"),
        ("tag_type", "TagType", "str"),
        ("strategy_id", "StrategyId", "str"),
    )
    id: str
    tag_type: str | None = None
    strategy_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExternalTagCreate(ExternalTagEvent):
    CHANGE_TYPE: ClassVar[str | None] = "create"


@dataclass(frozen=True, kw_only=True)
class ExternalTagUpdate(ExternalTagEvent):
    CHANGE_TYPE: ClassVar[str | None] = "update"


@dataclass(frozen=True, kw_only=True)
class ExternalTagDelete(ExternalTagEvent):
    CHANGE_TYPE: ClassVar[str | None] = "delete"


@dataclass(frozen=True, kw_only=True)
class ExternalTagShuffle(ExternalTagEvent):
    CHANGE_TYPE: ClassVar[str | None] = "shuffle"


@dataclass(frozen=True, kw_only=True)
class UnknownEvent:
    """An event this module has no model for; `fields` holds every child element's text."""

    event: str
    change_type: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    raw: str = ""


EVENT_TYPES: dict[tuple[str, str | None], type[CallbackEvent]] = {
    (cls.EVENT, cls.CHANGE_TYPE): cls
    for cls in (
        AddExternalContact,
        AddHalfExternalContact,
        EditExternalContact,
        DelExternalContact,
        DelFollowUser,
        TransferFail,
        MsgAuditApproved,
        ExternalChatCreate,
        ExternalChatUpdate,
        ExternalChatDismiss,
        ExternalTagCreate,
        ExternalTagUpdate,
        ExternalTagDelete,
        ExternalTagShuffle,
    )
}


def parse_event(xml: str | bytes) -> CallbackEvent | UnknownEvent:
    """Parse a decrypted callback document (`xmldoc.parse_flat`: DTDs and entities refused)."""
    try:
        _, fields_ = parse_flat(xml)
    except UnsafeXMLError as exc:
        raise EventParseError(str(exc)) from exc
    # Field values are text, or lists of item texts; the typed fields below validate them.
    values: dict[str, Any] = dict(fields_)
    event = values.get("Event")
    if not isinstance(event, str) or not event:
        raise EventParseError("no Event element")
    change_type = values.get("ChangeType") if isinstance(values.get("ChangeType"), str) else None
    change_type = change_type or None
    raw = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    cls = EVENT_TYPES.get((event, change_type))
    if cls is None:
        return UnknownEvent(event=event, change_type=change_type, fields=values, raw=raw)
    kwargs: dict[str, Any] = {}
    try:
        kwargs["to_user_name"] = str(values.get("ToUserName", ""))
        kwargs["from_user_name"] = str(values.get("FromUserName", "sys"))
        kwargs["create_time"] = int(values.get("CreateTime", 0))
        for name, tag, kind in cls.SPEC:
            if tag not in values:
                continue
            value = values[tag]
            if kind == "int":
                kwargs[name] = int(value)
            elif kind == "list":
                # Older payloads carried a comma-separated CDATA string instead of <Item>s.
                items = value if isinstance(value, list) else [v for v in value.split(",") if v]
                kwargs[name] = tuple(items)
            else:
                kwargs[name] = str(value)
        return cls(**kwargs)
    except (TypeError, ValueError):
        # A required field is missing or a number is garbled: keep it raw rather than lose it.
        return UnknownEvent(event=event, change_type=change_type, fields=values, raw=raw)


def event_fields(event: CallbackEvent) -> dict[str, Any]:
    return {f.name: getattr(event, f.name) for f in fields(event)}
