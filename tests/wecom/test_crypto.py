"""WXBizMsgCrypt against the algorithm in API-FACTS §2.3 and against wechatpy's implementation."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.work.crypto import WeChatCrypto

from siyu.wecom.crypto import (
    CryptoError,
    DecryptError,
    InvalidReceiveIdError,
    InvalidSignatureError,
    WXBizMsgCrypt,
    decode_aes_key,
    generate_aes_key,
    sign,
)

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "wx5823bf96d3bd56c7"


@pytest.fixture
def crypto() -> WXBizMsgCrypt:
    return WXBizMsgCrypt(TOKEN, AES_KEY, CORP_ID)


class TestSignature:
    def test_is_sha1_of_the_sorted_strings(self) -> None:
        import hashlib

        expected = hashlib.sha1(
            "".join(sorted([TOKEN, "1409659813", "263014780", "abc"])).encode()
        ).hexdigest()
        assert sign(TOKEN, "1409659813", "263014780", "abc") == expected

    def test_verify_accepts_upper_case_and_rejects_tampering(self, crypto: WXBizMsgCrypt) -> None:
        signature = crypto.signature("1", "2", "payload")
        crypto.verify_signature(signature.upper(), "1", "2", "payload")
        with pytest.raises(InvalidSignatureError):
            crypto.verify_signature(signature, "1", "2", "payload2")


class TestEncryption:
    def test_plaintext_layout_and_32_byte_padding(self, crypto: WXBizMsgCrypt) -> None:
        encrypted = crypto.encrypt("hello", random_prefix=b"r" * 16)
        key = decode_aes_key(AES_KEY)
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        body = b"r" * 16 + struct.pack(">I", 5) + b"hello" + CORP_ID.encode()
        pad = 32 - len(body) % 32
        assert plain == body + bytes([pad]) * pad
        assert len(plain) % 32 == 0

    def test_a_full_block_of_padding_when_aligned(self, crypto: WXBizMsgCrypt) -> None:
        message = "x" * (64 - 20 - len(CORP_ID))  # plaintext exactly 64 bytes
        encrypted = crypto.encrypt(message)
        assert len(base64.b64decode(encrypted)) == 96
        assert crypto.decrypt(encrypted) == message.encode()

    def test_round_trip_utf8(self, crypto: WXBizMsgCrypt) -> None:
        assert crypto.decrypt(crypto.encrypt("客户 <xml/>")).decode() == "客户 <xml/>"

    def test_wrong_receive_id_is_refused(self, crypto: WXBizMsgCrypt) -> None:
        other = WXBizMsgCrypt(TOKEN, AES_KEY, "wwsomeoneelse")
        with pytest.raises(InvalidReceiveIdError):
            crypto.decrypt(other.encrypt("hi"))

    @pytest.mark.parametrize("garbage", ["not base64!", base64.b64encode(b"short").decode(), ""])
    def test_garbage_is_a_decrypt_error(self, crypto: WXBizMsgCrypt, garbage: str) -> None:
        with pytest.raises(DecryptError):
            crypto.decrypt(garbage)

    @pytest.mark.parametrize("key", ["short", "!" * 43])
    def test_bad_aes_keys_are_refused(self, key: str) -> None:
        with pytest.raises(CryptoError):
            WXBizMsgCrypt(TOKEN, key, CORP_ID)

    def test_generated_keys_decode_to_32_bytes(self) -> None:
        assert len(decode_aes_key(generate_aes_key())) == 32


class TestWechatpyInterop:
    def test_wechatpy_decrypts_our_messages(self, crypto: WXBizMsgCrypt) -> None:
        message = crypto.encrypt_message("<xml><A>1</A></xml>", timestamp="1409659813", nonce="n1")
        body = message.envelope(to_user_name=CORP_ID)
        theirs = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
        assert (
            theirs.decrypt_message(body, message.msg_signature, "1409659813", "n1")
            == "<xml><A>1</A></xml>"
        )

    def test_we_decrypt_wechatpy_replies(self, crypto: WXBizMsgCrypt) -> None:
        import xmltodict

        theirs = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
        reply = xmltodict.parse(theirs.encrypt_message("<xml>hi</xml>", "nonce", "123"))["xml"]
        assert crypto.decrypt(reply["Encrypt"]) == b"<xml>hi</xml>"
        crypto.verify_signature(reply["MsgSignature"], "123", "nonce", reply["Encrypt"])

    def test_url_verification_matches_wechatpy(self, crypto: WXBizMsgCrypt) -> None:
        message = crypto.encrypt_message("echo-123", timestamp="1", nonce="2")
        theirs = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
        assert (
            theirs.check_signature(message.msg_signature, "1", "2", message.encrypt) == "echo-123"
        )
        assert crypto.verify_url(message.msg_signature, "1", "2", message.encrypt) == "echo-123"
        with pytest.raises(InvalidSignatureException):
            theirs.check_signature("0" * 40, "1", "2", message.encrypt)


class TestDecryptMessage:
    def test_verifies_then_decrypts_a_post_body(self, crypto: WXBizMsgCrypt) -> None:
        message = crypto.encrypt_message("<xml/>", timestamp="5", nonce="6")
        body = message.envelope(to_user_name=CORP_ID, agent_id="1000002")
        assert crypto.decrypt_message(body, message.msg_signature, "5", "6") == "<xml/>"
        with pytest.raises(InvalidSignatureError):
            crypto.decrypt_message(body, message.msg_signature, "5", "7")

    def test_hostile_xml_is_refused(self, crypto: WXBizMsgCrypt) -> None:
        bomb = '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
        with pytest.raises(DecryptError):
            crypto.decrypt_message(bomb, "sig", "1", "2")
