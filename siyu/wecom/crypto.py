"""WXBizMsgCrypt: the signature and AES scheme of WeCom callbacks (API-FACTS §2.3).

- key = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16];
- plaintext = random(16) ‖ len(msg) as 4-byte big-endian ‖ msg ‖ receive id;
- PKCS#7 padding to a multiple of 32 bytes (not AES's 16: WeCom's reference code uses 32);
- msg_signature = hex(SHA1(concat(sorted([token, timestamp, nonce, encrypt])))).

Shared by Siyu's callback gateway (verify + decrypt) and the sandbox (encrypt + sign).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from siyu.wecom.xmldoc import UnsafeXMLError, parse_flat

_BLOCK = 32


class CryptoError(Exception):
    """Anything wrong with a callback's signature, ciphertext or receive id."""


class InvalidSignatureError(CryptoError):
    pass


class InvalidReceiveIdError(CryptoError):
    pass


class DecryptError(CryptoError):
    pass


@dataclass(frozen=True, slots=True)
class EncryptedMessage:
    """What WeCom sends: the ciphertext plus the query parameters that sign it."""

    encrypt: str
    msg_signature: str
    timestamp: str
    nonce: str

    def envelope(self, *, to_user_name: str, agent_id: str | None = None) -> str:
        """The POST body of an event callback (API-FACTS §2.2)."""
        agent = f"<AgentID><![CDATA[{agent_id}]]></AgentID>" if agent_id is not None else ""
        return (
            f"<xml><ToUserName><![CDATA[{to_user_name}]]></ToUserName>{agent}"
            f"<Encrypt><![CDATA[{self.encrypt}]]></Encrypt></xml>"
        )

    def query(self) -> dict[str, str]:
        return {
            "msg_signature": self.msg_signature,
            "timestamp": self.timestamp,
            "nonce": self.nonce,
        }


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """SHA1 over the four strings sorted lexicographically and joined without a delimiter."""
    joined = "".join(sorted([token, timestamp, nonce, encrypt]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def decode_aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise CryptoError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise CryptoError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CryptoError("EncodingAESKey must decode to 32 bytes")
    return key


def generate_aes_key() -> str:
    """A fresh EncodingAESKey (43 base64 characters without the trailing '=')."""
    return base64.b64encode(os.urandom(32)).decode("ascii")[:43]


class WXBizMsgCrypt:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.receive_id = receive_id
        self._key = decode_aes_key(encoding_aes_key)
        # Built once: a Cipher is immutable and hands out a fresh context per call, and
        # building it (key and IV checks, backend lookup) cost more than decrypting a callback.
        self._aes = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    # -- signature -------------------------------------------------------------------------
    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return sign(self.token, timestamp, nonce, encrypt)

    def verify_signature(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str
    ) -> None:
        expected = self.signature(timestamp, nonce, encrypt)
        # Constant time: a timing side channel would let an attacker forge signatures byte by byte.
        if not hmac.compare_digest(expected.encode(), msg_signature.lower().encode()):
            raise InvalidSignatureError("msg_signature does not match")

    # -- AES ---------------------------------------------------------------------------------
    def encrypt(self, message: str | bytes, *, random_prefix: bytes | None = None) -> str:
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = random_prefix if random_prefix is not None else os.urandom(16)
        if len(prefix) != 16:
            raise CryptoError("random prefix must be 16 bytes")
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode("utf-8")
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._aes.encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypt: str) -> bytes:
        """The message bytes; raises unless the trailing receive id is ours."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except binascii.Error as exc:
            raise DecryptError("ciphertext is not base64") from exc
        if not data or len(data) % 16:
            raise DecryptError("ciphertext length is not a multiple of the AES block")
        decryptor = self._aes.decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise DecryptError("bad PKCS#7 padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise DecryptError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError("message length exceeds plaintext")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode("utf-8")):
            raise InvalidReceiveIdError("receive id does not match")
        return message

    # -- protocol helpers --------------------------------------------------------------------
    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The plaintext to answer WeCom's URL-verification GET with (no quotes, no newline)."""
        self.verify_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr).decode("utf-8")

    def encrypt_message(
        self, message: str, *, timestamp: str, nonce: str, random_prefix: bytes | None = None
    ) -> EncryptedMessage:
        encrypt = self.encrypt(message, random_prefix=random_prefix)
        return EncryptedMessage(
            encrypt, self.signature(timestamp, nonce, encrypt), timestamp, nonce
        )

    def decrypt_message(
        self, body: str | bytes, msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """Verify and decrypt an event POST body; returns the decrypted event XML."""
        try:
            _, envelope = parse_flat(body)
        except UnsafeXMLError as exc:
            raise DecryptError(f"body rejected: {exc}") from exc
        encrypt = envelope.get("Encrypt")
        if not encrypt or not isinstance(encrypt, str):
            raise DecryptError("body has no Encrypt element")
        self.verify_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt).decode("utf-8")
