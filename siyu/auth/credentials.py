"""Password hashing (argon2id) and the random tokens behind sessions and API keys.

Tokens are stored only as SHA-256 digests: they are long random values, so a fast hash is
enough (unlike passwords), and lookups stay a unique-index hit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_dummy_hash: str | None = None

API_KEY_PREFIX = "sk"


def configure_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the argon2 parameters (tests use the cheapest profile); returns the previous."""
    global _hasher, _dummy_hash
    previous, _hasher, _dummy_hash = _hasher, hasher, None
    return previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification(password: str) -> None:
    """Spend the time of one verification, so an unknown email answers as slowly as a wrong
    password and response times do not reveal which accounts exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class NewApiKey:
    key: str  # shown to the creator once, never stored
    prefix: str
    digest: str


def new_api_key() -> NewApiKey:
    """`sk_<prefix>_<secret>`: the prefix identifies the key in lists without revealing it."""
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key=key, prefix=prefix, digest=token_digest(key))


def looks_like_api_key(value: str) -> bool:
    return value.startswith(f"{API_KEY_PREFIX}_") and len(value) > 20
