"""Phone-verified entry: a listed phone gets a 6-digit code by SMS and, once it is entered,
a short-lived pass that opens the group QR.

Limits (the challenge rows are the ledger, so they hold across API processes):
- per phone: one code a minute, five an hour; per IP: twenty an hour;
- a code lives five minutes and allows five attempts; after that, 429 until a new code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from siyu.groupcodes.models import GroupCode, PhoneChallenge
from siyu.groupcodes.repository import group_code_repository as repo
from siyu.groupcodes.sms import SmsSender
from siyu.identity.rules import normalize_phone
from siyu.kit.errors import BadRequest, Forbidden, SiyuError, TooManyRequests

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PHONE_MIN_INTERVAL = timedelta(minutes=1)
PHONE_PER_HOUR = 5
IP_PER_HOUR = 20
PASS_TTL = timedelta(minutes=30)


class SmsUnavailable(SiyuError):
    status_code = 503
    code = "sms_unavailable"


@dataclass(frozen=True)
class Verified:
    phone: str
    token: str


def clean_phone(raw: str) -> str:
    phone = normalize_phone(raw or "")
    if not phone.isdigit() or not 6 <= len(phone) <= 15:
        raise BadRequest("enter a valid mobile number")
    return phone


def _hash(challenge_id: uuid.UUID, code: str) -> str:
    return hashlib.sha256(f"{challenge_id}:{code}".encode()).hexdigest()


def send_code(
    session: Session, *, code: GroupCode, raw_phone: str, ip: str, sender: SmsSender, now: datetime
) -> None:
    phone = clean_phone(raw_phone)
    if not repo.phone_listed(session, code.id, phone):
        raise Forbidden("this phone number is not on the list for this group", code="not_listed")
    hour_ago = now - timedelta(hours=1)
    if repo.challenges_since(session, since=hour_ago, ip=ip) >= IP_PER_HOUR:
        raise TooManyRequests("too many codes requested from this network", retry_after=3600)
    if repo.challenges_since(session, since=now - PHONE_MIN_INTERVAL, phone=phone):
        raise TooManyRequests("wait a minute before asking for another code", retry_after=60)
    if repo.challenges_since(session, since=hour_ago, phone=phone) >= PHONE_PER_HOUR:
        raise TooManyRequests("too many codes for this number; try later", retry_after=3600)
    digits = f"{secrets.randbelow(1_000_000):06d}"
    challenge = PhoneChallenge(
        id=uuid.uuid4(),
        code_id=code.id,
        phone=phone,
        ip=ip[:64],
        created_at=now,
        expires_at=now + CODE_TTL,
        code_hash="",
    )
    challenge.code_hash = _hash(challenge.id, digits)
    try:
        sender.send(
            phone=phone, text=f"【Siyu】验证码 {digits}，5 分钟内有效，用于加入「{code.name}」。"
        )
    except Exception as exc:  # any provider failure: no challenge row, a clear 503
        raise SmsUnavailable("the SMS could not be sent; try again later") from exc
    repo.add(session, challenge)


def check_code(
    session: Session, *, code: GroupCode, raw_phone: str, digits: str, secret: str, now: datetime
) -> Verified:
    phone = clean_phone(raw_phone)
    challenge = repo.latest_challenge(session, code.id, phone)
    if challenge is None:
        raise BadRequest("ask for a verification code first", code="no_code")
    if challenge.attempts >= MAX_ATTEMPTS:
        raise TooManyRequests("too many wrong codes; ask for a new one", retry_after=60)
    if challenge.expires_at <= now or challenge.verified_at is not None:
        raise BadRequest("the code has expired; ask for a new one", code="code_expired")
    challenge.attempts += 1
    session.flush()
    if not hmac.compare_digest(challenge.code_hash, _hash(challenge.id, digits.strip())):
        # The attempt counts even though the request fails: commit it (the route does).
        raise WrongCode(
            "the code is not right", details={"attempts_left": MAX_ATTEMPTS - challenge.attempts}
        )
    challenge.verified_at = now
    session.flush()
    return Verified(phone, pass_token(secret, code=code, phone=phone, now=now))


class WrongCode(BadRequest):
    code = "wrong_code"


def pass_token(secret: str, *, code: GroupCode, phone: str, now: datetime) -> str:
    """`<expiry>.<hmac>`: proves the holder verified this phone for this code recently."""
    expiry = int((now + PASS_TTL).timestamp())
    mac = hmac.new(secret.encode(), f"pass:{code.id}:{phone}:{expiry}".encode(), "sha256")
    return f"{phone}.{expiry}.{mac.hexdigest()[:32]}"


def pass_valid(secret: str, *, code: GroupCode, token: str, now: datetime) -> bool:
    try:
        phone, expiry_text, mac = token.split(".")
        expiry = int(expiry_text)
    except ValueError:
        return False
    expected = hmac.new(secret.encode(), f"pass:{code.id}:{phone}:{expiry}".encode(), "sha256")
    return expiry > now.timestamp() and hmac.compare_digest(mac, expected.hexdigest()[:32])
