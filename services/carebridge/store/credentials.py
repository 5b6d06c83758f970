"""Facility passwords: a salted scrypt hash, plus an encrypted copy for PasswordDigest.

A WS-Security PasswordDigest is SHA-1(nonce + created + password), so the server
needs the password itself to check one. carebridge keeps that copy only for
facilities that enable digest, sealed with AES-GCM under a key every node shares
(``CAREBRIDGE_SECRET_KEY``); the scrypt hash alone checks PasswordText. A key's
fingerprint (an HMAC under the key, never the key) lets the database remember which
key it was set up with.
"""

from __future__ import annotations

import base64
import functools
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
_FINGERPRINT_LABEL = b"carebridge key fingerprint"


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


def check_password(password: str, stored: str | None) -> bool:
    """``verify_password``, where None (no such account) costs the same scrypt work against
    a decoy and is False: a wrong name answers as slowly as a wrong password."""
    if stored is None:
        verify_password(password, _decoy_hash())
        return False
    return verify_password(password, stored)


@functools.cache
def _decoy_hash() -> str:
    # Today's parameters and a random digest: no password matches, none needs hashing now.
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     _b64(os.urandom(_SALT_BYTES)), _b64(os.urandom(32))])


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

    def verify(self, password: str, stored: str | None) -> bool:
        """As ``check_password``; only successes are remembered, so a wrong password or
        an unknown name always pays for the full check."""
        if stored is None:
            return check_password(password, None)
        key = hashlib.sha256(stored.encode("utf-8") + b"\0" + password.encode("utf-8")).digest()
        with self._lock:
            if key in self._seen:
                return True
        if not check_password(password, stored):
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
        self.fingerprint = key_fingerprint(key)

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


def key_fingerprint(key: bytes) -> str:
    """Names a key without revealing it: 16 hex digits of HMAC-SHA256(key, label)."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def read_key(path: Path) -> bytes | None:
    """The key file's bytes, or None when there is no such file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def create_key(path: Path) -> bytes:
    """A new random key file (mode 0600); if another process made one first, its key.

    The key is written under a temporary name and linked into place, so a concurrent
    reader never sees a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return path.read_bytes()
    finally:
        temporary.unlink(missing_ok=True)
    return key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
