"""The phone list of a phone-verified code, imported from CSV or xlsx.

Reuses the customer import's reader (same header spellings: phone / 手机号 / mobile, name /
姓名), so one spreadsheet serves both. Rows without a valid mobile are reported and skipped.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from siyu.customers.imports.parsing import detect_format, read_rows
from siyu.groupcodes.models import GroupCode
from siyu.groupcodes.repository import group_code_repository as repo
from siyu.groupcodes.schemas import PhoneImportResult
from siyu.identity.rules import is_valid_mobile, normalize_phone
from siyu.kit.errors import BadRequest

MAX_BYTES = 10 * 1024 * 1024
MAX_REJECTED_LISTED = 50


def import_phones(
    session: Session, *, code: GroupCode, file_name: str, body: bytes, replace: bool
) -> PhoneImportResult:
    if not body:
        raise BadRequest("the file is empty")
    if len(body) > MAX_BYTES:
        raise BadRequest(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")
    fmt = detect_format(file_name, body[:2048])
    phones: dict[str, str] = {}
    rejected: list[str] = []
    rows = 0
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"phones.{fmt}"
        path.write_bytes(body)
        header, data = read_rows(path, fmt)
        if "phones" not in header.values():
            raise BadRequest("the first row must name a phone column (phone, mobile or 手机号)")
        for number, row in data:
            rows += 1
            phone = normalize_phone(row.get("phones", ""))
            if not is_valid_mobile(phone):
                if len(rejected) < MAX_REJECTED_LISTED:
                    rejected.append(f"row {number}: not a mobile number")
                continue
            phones[phone] = row.get("name", "")
    before = 0 if replace else repo.phone_count(session, code.id)
    if replace:
        repo.clear_phones(session, code.id)
    repo.add_phones(session, code.id, phones)
    count = repo.phone_count(session, code.id)
    return PhoneImportResult(rows=rows, added=count - before, rejected=rejected, phone_count=count)
