"""Facility passwords: a salted scrypt hash, plus an encrypted copy for PasswordDigest.

A WS-Security PasswordDigest is SHA-1(nonce + created + password), so the server
needs the password itself to check one. carebridge keeps that copy only for
facilities that enable digest, sealed with AES-GCM under a key every node shares
(``CAREBRIDGE_SECRET_KEY``); the scrypt hash alone checks PasswordText.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16


def hash_password(password: str) -> str:
    salt = os.urandom(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, _unb64(expected))


class VerifiedCache:
    """Remembers recent successful scrypt checks, so a busy client pays for one, not each call.

    Keys are SHA-256 of (stored hash, password): no password is kept, and a changed
    password changes the stored hash, so a stale entry can never match. Bounded, and
    per process (a cache, not state another node needs).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._seen: dict[bytes, None] = {}
        self._lock = threading.Lock()

    def verify(self, password: str, stored: str) -> bool:
        key = hashlib.sha256(stored.encode("utf-8") + b"\0" + password.encode("utf-8")).digest()
        with self._lock:
            if key in self._seen:
                return True
        if not verify_password(password, stored):
            return False
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = None
        return True


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


class SecretBox:
    """Seals digest secrets with AES-GCM; the facility name is bound as associated data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(hashlib.sha256(key).digest())

    @classmethod
    def from_settings(cls, secret_key: str, key_file: Path) -> SecretBox:
        if secret_key:
            return cls(secret_key.encode("utf-8"))
        return cls(_load_or_create_key(key_file))

    def seal(self, facility_name: str, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode("utf-8"), facility_name.encode("utf-8"))
        return "aesgcm$" + _b64(nonce + sealed)

    def open(self, facility_name: str, sealed: str) -> str | None:
        """The secret, or None if it was sealed under another key or for another facility."""
        scheme, _, blob = sealed.partition("$")
        if scheme != "aesgcm":
            return None
        raw = _unb64(blob)
        try:
            plain = self._aead.decrypt(raw[:12], raw[12:], facility_name.encode("utf-8"))
        except InvalidTag:
            return None
        return plain.decode("utf-8")


def _load_or_create_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = os.urandom(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
