"""Row-by-row validation: every problem of a row, with its column, in one pass."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from siyu.identity.models import KIND_BUSINESS_ID, KIND_PHONE, KIND_UNIONID
from siyu.identity.resolver import Claim, Record
from siyu.identity.rules import IdentityRuleSet, junk_check, normalize_phone

_SPLIT = re.compile(r"[,;，；/、\s]+")
_UNIONID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Checked:
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    total: int = 0


def check_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    rules: IdentityRuleSet,
    source: str,
    phones_verified: bool,
) -> Checked:
    junk = junk_check(rules)
    result = Checked()
    first_row_of: dict[tuple[str, str], int] = {}
    for number, row in rows:
        result.total += 1
        errors = list(_row_errors(number, row, rules, junk, first_row_of))
        if errors:
            result.errors.extend(errors)
            result.bad_rows.add(number)
            continue
        claims = [
            Claim(KIND_PHONE, p, verified=phones_verified, source=source) for p in _phones(row)
        ]
        if row.get("business_id"):
            claims.append(Claim(KIND_BUSINESS_ID, row["business_id"], source=source))
        if row.get("unionid"):
            claims.append(Claim(KIND_UNIONID, row["unionid"], source=source))
        result.records.append(Record(ref=number, claims=claims, name=row.get("name", "")))
    return result


def _phones(row: dict[str, str]) -> list[str]:
    return [normalize_phone(p) for p in _SPLIT.split(row.get("phones", "")) if p]


def _row_errors(
    number: int,
    row: dict[str, str],
    rules: IdentityRuleSet,
    check: Callable[[str, str], str | None],
    first_row_of: dict[tuple[str, str], int],
) -> Iterator[RowError]:
    if len(row.get("name", "")) > 128:
        yield RowError(number, "name", "longer than 128 characters")
    phones = _phones(row)
    business_id = row.get("business_id", "")
    unionid = row.get("unionid", "")
    if not (phones or business_id or unionid):
        yield RowError(number, "phones", "a row needs a phone, a business_id or a unionid")
        return
    for phone in phones:
        reason = check(KIND_PHONE, phone)
        if reason:
            yield RowError(number, "phones", f"{phone}: {reason}")
    if len(set(phones)) > rules.limit(KIND_PHONE):
        yield RowError(number, "phones", f"more than {rules.limit(KIND_PHONE)} phones")
    if business_id:
        reason = check(KIND_BUSINESS_ID, business_id) or (
            "longer than 64 characters" if len(business_id) > 64 else None
        )
        if reason:
            yield RowError(number, "business_id", reason)
        else:
            first = first_row_of.setdefault((KIND_BUSINESS_ID, business_id), number)
            if first != number:
                yield RowError(number, "business_id", f"repeats row {first}")
    if unionid and (not _UNIONID.match(unionid) or check(KIND_UNIONID, unionid)):
        yield RowError(number, "unionid", "not a WeChat unionid")
