"""Resolution rules per corp: priority and limit per identifier kind, and junk values.

Stored in `identity_rules` (one JSON row per corp); missing keys fall back to the defaults
here, so a corp that never touched its rules gets exactly the documented behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, field_validator

from siyu.identity.models import (
    KIND_BUSINESS_ID,
    KIND_EXTERNAL_USERID,
    KIND_OPENID,
    KIND_PHONE,
    KIND_UNIONID,
    KINDS,
)

DEFAULT_PRIORITY = [KIND_BUSINESS_ID, KIND_UNIONID, KIND_EXTERNAL_USERID, KIND_PHONE, KIND_OPENID]
DEFAULT_LIMITS = {
    KIND_BUSINESS_ID: 1,
    KIND_UNIONID: 1,
    KIND_EXTERNAL_USERID: 5,
    KIND_PHONE: 3,
    KIND_OPENID: 10,
}
# Placeholders people type when a form insists on a value.
JUNK_WORDS = frozenset(
    {"", "0", "-", "--", "n/a", "na", "nil", "none", "null", "test", "undefined", "unknown", "无"}
)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class IdentityRuleSet(BaseModel):
    priority: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIORITY),
        description="Identifier kinds, strongest first; decides survivors and link order",
    )
    limits: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_LIMITS),
        description="At most this many identities of a kind per person",
    )
    blocklist: list[str] = Field(
        default_factory=list,
        max_length=10_000,
        description="Values never used as identities (any kind)",
    )
    managers_see_phones: bool = Field(
        default=False, description="Managers see full phone numbers (staff never do)"
    )

    @field_validator("priority")
    @classmethod
    def _priority_is_a_permutation(cls, value: list[str]) -> list[str]:
        if sorted(value) != sorted(KINDS):
            raise ValueError(f"priority must list each of {', '.join(KINDS)} exactly once")
        return value

    @field_validator("limits")
    @classmethod
    def _limits_known(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown identifier kinds: {', '.join(sorted(unknown))}")
        if any(n < 1 for n in value.values()):
            raise ValueError("limits must be at least 1")
        return DEFAULT_LIMITS | value

    def rank(self, kind: str) -> int:
        return _RANKS[tuple(self.priority)][kind]

    def limit(self, kind: str) -> int:
        return self.limits.get(kind, DEFAULT_LIMITS[kind])


class _Ranks(dict[tuple[str, ...], dict[str, int]]):
    """priority order → {kind: rank}, computed once per order (rank runs per claim)."""

    def __missing__(self, order: tuple[str, ...]) -> dict[str, int]:
        self[order] = {kind: i for i, kind in enumerate(order)}
        return self[order]


_RANKS = _Ranks()


def rules_from(stored: dict[str, Any] | None) -> IdentityRuleSet:
    return IdentityRuleSet.model_validate(stored or {})


def normalize_phone(raw: str) -> str:
    """Digits only, without China's +86 prefix: '+86 138-0013-8000' → '13800138000'."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def is_valid_mobile(phone: str) -> bool:
    return bool(_MOBILE.match(phone))


def normalize(kind: str, value: str | None) -> str:
    text = (value or "").strip()
    return normalize_phone(text) if kind == KIND_PHONE else text


def junk_reason(kind: str, value: str, rules: IdentityRuleSet) -> str | None:
    """Why `value` (already normalised) cannot be an identity, or None when it can."""
    return junk_check(rules)(kind, value)


def junk_check(rules: IdentityRuleSet) -> Callable[[str, str], str | None]:
    """`junk_reason` with the corp's blocklist bound once (it runs a million times a batch)."""
    blocked = frozenset(b.strip().lower() for b in rules.blocklist) | JUNK_WORDS
    return lambda kind, value: _junk(kind, value, blocked)


def _junk(kind: str, value: str, blocked: frozenset[str]) -> str | None:
    lowered = value.lower()
    if lowered in blocked:
        return "placeholder value" if lowered in JUNK_WORDS else "blocked by the corp's blocklist"
    if kind == KIND_PHONE:
        if len(set(value)) == 1 or len(set(value[1:])) == 1:  # 00000000000, 13333333333
            return "phone of one repeated digit"
        if not is_valid_mobile(value):
            return "not a mainland China mobile number"
    if len(set(value)) == 1 and len(value) > 1:
        return "value of one repeated character"
    if len(value) > 128:
        return "longer than 128 characters"
    return None
