"""Encryption of secrets at rest (corp app secrets, callback tokens, AES keys).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from `SIYU_SECRET_KEY` by HKDF, so the
settings value can be any long random string and rotating it is a re-encrypt, not a schema change.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretDecryptionError(RuntimeError):
    pass


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"siyu.secret-box.v1", info=b"corp-secrets"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretDecryptionError(
                "a stored secret cannot be decrypted: SIYU_SECRET_KEY differs from the key it "
                "was encrypted with"
            ) from exc
