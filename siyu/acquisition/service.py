"""Channels and live codes: create, change, enable/disable, delete, and the welcome defaults.

Saving a code never calls WeCom from the request: it records the intent and enqueues
`acquisition.code.sync` (after commit), which creates or updates the contact way. The
console shows `config_id`/`sync_error` as the job reports them.
"""

from __future__ import annotations

import builtins
import secrets
import uuid
from typing import Any

from sqlalchemy.orm import Session

from siyu.acquisition import attachments
from siyu.acquisition.models import Channel, LiveCode, WelcomeDefault
from siyu.acquisition.repository import acquisition_repository as repo
from siyu.acquisition.schemas import (
    ChannelCreate,
    ChannelUpdate,
    LiveCodeCreate,
    LiveCodeUpdate,
    WelcomeDefaultUpdate,
)
from siyu.acquisition.templates import WELCOME_MAX_BYTES, check_template
from siyu.acquisition.validate import check_code, check_tags
from siyu.acquisition.welcome import welcome_sources
from siyu.audit.service import audit_service
from siyu.db.session import on_commit
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.ids import new_id

SYNC_JOB = "acquisition.code.sync"
DELETE_WAY_JOB = "acquisition.way.delete"
_JSON_FIELDS = ("tag_ids", "welcome_material_ids")


def _code_values(data: dict[str, Any]) -> dict[str, Any]:
    """Schema values → column values (UUIDs as text, attachments as WeCom bodies)."""
    values = dict(data)
    for name in _JSON_FIELDS:
        if name in values and values[name] is not None:
            values[name] = [str(v) for v in values[name]]
    if values.get("welcome_attachments") is not None:
        values["welcome_attachments"] = [
            {"msgtype": a["msgtype"], a["msgtype"]: a[a["msgtype"]]}
            for a in values["welcome_attachments"]
        ]
    return values


class AcquisitionService:
    # -- channels ----------------------------------------------------------------------------
    def list_channels(
        self, session: Session, *, corp_id: uuid.UUID
    ) -> builtins.list[dict[str, Any]]:
        return [
            {**_columns(channel), "code_count": count}
            for channel, count in repo.channels(session, corp_id)
        ]

    def channel_or_404(
        self, session: Session, *, corp_id: uuid.UUID, channel_id: uuid.UUID
    ) -> Channel:
        channel = repo.channel(session, corp_id, channel_id)
        if channel is None:
            raise NotFound(f"channel {channel_id} does not exist")
        return channel

    def create_channel(
        self, session: Session, *, corp_id: uuid.UUID, data: ChannelCreate
    ) -> Channel:
        if repo.channel_named(session, corp_id, data.name) is not None:
            raise Conflict(f"a channel named {data.name!r} exists")
        channel = Channel(
            corp_id=corp_id,
            name=data.name,
            description=data.description,
            tag_ids=check_tags(session, corp_id, data.tag_ids),
        )
        session.add(channel)
        session.flush()
        self._audit(session, "channel.create", channel, {"name": channel.name})
        return channel

    def update_channel(self, session: Session, *, channel: Channel, data: ChannelUpdate) -> Channel:
        if data.name is not None and data.name != channel.name:
            if repo.channel_named(session, channel.corp_id, data.name) is not None:
                raise Conflict(f"a channel named {data.name!r} exists")
            channel.name = data.name
        if data.description is not None:
            channel.description = data.description
        if data.tag_ids is not None:
            channel.tag_ids = check_tags(session, channel.corp_id, data.tag_ids)
        session.flush()
        self._audit(
            session, "channel.update", channel, data.model_dump(mode="json", exclude_unset=True)
        )
        return channel

    def delete_channel(self, session: Session, *, channel: Channel) -> None:
        codes = repo.codes(session, channel.corp_id, channel_id=channel.id)
        if codes:
            raise Conflict(
                f"channel {channel.name!r} still has {len(codes)} codes; delete them first"
            )
        self._audit(session, "channel.delete", channel, {"name": channel.name})
        session.delete(channel)
        session.flush()

    # -- codes -------------------------------------------------------------------------------
    def list_codes(
        self, session: Session, *, corp_id: uuid.UUID, channel_id: uuid.UUID | None = None
    ) -> builtins.list[LiveCode]:
        return repo.codes(session, corp_id, channel_id=channel_id)

    def code_or_404(self, session: Session, *, corp_id: uuid.UUID, code_id: uuid.UUID) -> LiveCode:
        code = repo.code(session, corp_id, code_id)
        if code is None:
            raise NotFound(f"live code {code_id} does not exist")
        return code

    def create_code(
        self, session: Session, *, corp_id: uuid.UUID, data: LiveCodeCreate
    ) -> LiveCode:
        self.channel_or_404(session, corp_id=corp_id, channel_id=data.channel_id)
        state = data.state or f"c{secrets.token_hex(6)}"
        if repo.code_by_state(session, corp_id, state) is not None:
            raise Conflict(f"a code with state {state!r} exists")
        values = _code_values(data.model_dump(exclude={"state"}))
        values["tag_ids"] = check_tags(session, corp_id, data.tag_ids)
        code = LiveCode(id=new_id(), corp_id=corp_id, state=state, **values)
        check_code(session, code, now=utcnow())
        attachments.check(session, corp_id, data.welcome_material_ids)
        session.add(code)
        session.flush()
        attachments.prepare(session, corp_id, code.welcome_material_ids)
        self._audit(session, "code.create", code, {"name": code.name, "state": state})
        _welcomes_changed(session, corp_id)
        self.request_sync(session, code=code, reason="create")
        return code

    def update_code(self, session: Session, *, code: LiveCode, data: LiveCodeUpdate) -> LiveCode:
        changes = _code_values(data.model_dump(exclude_unset=True))
        if "channel_id" in changes:
            if changes["channel_id"] is None:
                raise Unprocessable("channel_id cannot be null")
            self.channel_or_404(session, corp_id=code.corp_id, channel_id=changes["channel_id"])
        for name in (
            "name",
            "routing",
            "skip_verify",
            "enabled",
            "staff_userids",
            "department_ids",
            "backup_userids",
            "weights",
            "skip_verify_windows",
            "remark_template",
            "description_template",
            "welcome_text",
            "welcome_attachments",
        ):
            if name in changes and changes[name] is None:
                raise Unprocessable(f"{name} cannot be null")
        if data.tag_ids is not None:
            changes["tag_ids"] = check_tags(session, code.corp_id, data.tag_ids)
        for name, value in changes.items():
            setattr(code, name, value)
        check_code(session, code, now=utcnow())
        if data.welcome_material_ids is not None:
            attachments.check(session, code.corp_id, data.welcome_material_ids)
            attachments.prepare(session, code.corp_id, code.welcome_material_ids)
        session.flush()
        self._audit(session, "code.update", code, data.model_dump(mode="json", exclude_unset=True))
        _welcomes_changed(session, code.corp_id)
        self.request_sync(session, code=code, reason="update")
        return code

    def delete_code(self, session: Session, *, code: LiveCode) -> None:
        """The way is deleted from WeCom after commit; the code's adds stay for analytics
        through their channel (the rows cascade with the code, the relations keep the state)."""
        if code.config_id:
            enqueue(
                session,
                DELETE_WAY_JOB,
                key=f"acquisition.way.delete:{code.config_id}",
                args={"corp_id": str(code.corp_id), "config_id": code.config_id},
                corp_id=code.corp_id,
            )
        self._audit(session, "code.delete", code, {"name": code.name, "state": code.state})
        _welcomes_changed(session, code.corp_id)
        session.delete(code)
        session.flush()

    def request_sync(self, session: Session, *, code: LiveCode, reason: str) -> bool:
        """Enqueue a WeCom sync of the code's way (keyed, so a burst of causes runs it once)."""
        return enqueue(
            session,
            SYNC_JOB,
            key=f"acquisition.code.sync:{code.id}:{reason}:{new_id()}",
            args={"code_id": str(code.id)},
            corp_id=code.corp_id,
        )

    # -- welcome defaults --------------------------------------------------------------------
    def welcome_defaults(
        self, session: Session, *, corp_id: uuid.UUID
    ) -> builtins.list[WelcomeDefault]:
        return repo.welcome_defaults(session, corp_id)

    def set_welcome_default(
        self, session: Session, *, corp_id: uuid.UUID, staff_userid: str, data: WelcomeDefaultUpdate
    ) -> WelcomeDefault:
        check_template(data.text, what="text")
        if len(data.text.encode("utf-8")) > WELCOME_MAX_BYTES:
            raise Unprocessable(f"text is over {WELCOME_MAX_BYTES} bytes")
        if not data.text and not data.attachments and not data.material_ids:
            raise Unprocessable("a welcome needs text or attachments")
        if len(data.attachments) + len(data.material_ids) > 9:
            raise Unprocessable("a welcome takes at most 9 attachments")
        attachments.check(session, corp_id, data.material_ids)
        row = repo.welcome_default(session, corp_id, staff_userid)
        if row is None:
            row = WelcomeDefault(corp_id=corp_id, staff_userid=staff_userid)
            session.add(row)
        row.text = data.text
        row.attachments = [a.wecom() for a in data.attachments]
        row.material_ids = [str(m) for m in data.material_ids]
        row.updated_at = utcnow()
        session.flush()
        attachments.prepare(session, corp_id, row.material_ids)
        self._audit(session, "welcome_default.set", row, {"staff_userid": staff_userid})
        _welcomes_changed(session, corp_id)
        return row

    @staticmethod
    def _audit(session: Session, action: str, row: Any, details: dict[str, Any]) -> None:
        audit_service.record(
            session,
            action=f"acquisition.{action}",
            target_type=action.split(".")[0],
            target_id=row.id,
            details=details,
        )


def _columns(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "description": channel.description,
        "tag_ids": channel.tag_ids,
        "created_at": channel.created_at,
    }


acquisition_service = AcquisitionService()


def _welcomes_changed(session: Session, corp_id: uuid.UUID) -> None:
    """The urgent lane of this process re-reads what the corp can welcome with once this
    commits (other processes do within `WelcomeSources`' ttl)."""
    on_commit(session, lambda: welcome_sources.forget(corp_id))
