"""Corp API schemas. Secrets are write-only: responses say whether one is set, never what."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import Field, HttpUrl, field_validator

from siyu.corps.models import Corp as CorpModel
from siyu.kit.schemas import InputSchema, OutputSchema

_CORP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")


def _check_aes_key(value: str | None) -> str | None:
    if value is not None and not _AES_KEY.match(value):
        raise ValueError("EncodingAESKey must be exactly 43 letters and digits")
    return value


class CorpCreate(InputSchema):
    wecom_corp_id: str = Field(min_length=1, max_length=64, description="WeCom CorpID")
    name: str = Field(min_length=1, max_length=100)
    agent_id: int | None = Field(default=None, ge=0)
    app_secret: str | None = Field(default=None, min_length=1, max_length=256)
    callback_token: str | None = Field(default=None, min_length=1, max_length=64)
    callback_aes_key: str | None = None
    api_base_url: HttpUrl | None = None
    is_sandbox: bool = False

    @field_validator("wecom_corp_id")
    @classmethod
    def _corp_id(cls, value: str) -> str:
        if not _CORP_ID.match(value):
            raise ValueError("CorpID may contain only letters, digits, '-' and '_'")
        return value

    _aes = field_validator("callback_aes_key")(_check_aes_key)


class CorpUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    agent_id: int | None = Field(default=None, ge=0)
    app_secret: str | None = Field(default=None, min_length=1, max_length=256)
    callback_token: str | None = Field(default=None, min_length=1, max_length=64)
    callback_aes_key: str | None = None
    api_base_url: HttpUrl | None = None

    _aes = field_validator("callback_aes_key")(_check_aes_key)


class Corp(OutputSchema):
    id: uuid.UUID
    wecom_corp_id: str
    name: str
    agent_id: int | None
    api_base_url: str
    callback_key: str
    is_sandbox: bool
    has_app_secret: bool
    has_callback_token: bool
    has_callback_aes_key: bool
    created_at: datetime


class CorpSummary(OutputSchema):
    """What a member sees of a corp in the corp switcher."""

    id: uuid.UUID
    wecom_corp_id: str
    name: str
    is_sandbox: bool


def corp_view(corp: CorpModel) -> Corp:
    """The API view of a corp: which secrets are set, never their values."""
    return Corp(
        id=corp.id,
        wecom_corp_id=corp.wecom_corp_id,
        name=corp.name,
        agent_id=corp.agent_id,
        api_base_url=corp.api_base_url,
        callback_key=corp.callback_key,
        is_sandbox=corp.is_sandbox,
        has_app_secret=corp.app_secret_ciphertext is not None,
        has_callback_token=corp.callback_token_ciphertext is not None,
        has_callback_aes_key=corp.callback_aes_key_ciphertext is not None,
        created_at=corp.created_at,
    )
