"""carebridge's own database, as services and commands open it: the handle plus the digest key."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from carebridge.config import Settings
from carebridge.store.audit_log import AuditLog
from carebridge.store.credentials import SecretBox, create_key, read_key
from carebridge.store.engine import DatabaseHandle
from carebridge.store.exceptions import SecretKeyMismatch, StoreError
from carebridge.store.models import Facility, ServiceSetting

log = logging.getLogger(__name__)

FINGERPRINT_SETTING = "secret_key_fingerprint"


def secret_key_path(settings: Settings) -> Path:
    """Where the key file is: a relative ``secret_key_file`` sits next to the SQLite file.

    The key belongs with the secrets it opens, so every command finds the same key
    whatever its current directory, just as it finds the same database. Other databases
    have no file to sit next to: there the path stays relative to the current directory,
    and several nodes need ``CAREBRIDGE_SECRET_KEY`` anyway.
    """
    path = Path(settings.security.secret_key_file)
    if path.is_absolute():
        return path
    url = make_url(settings.database_url)
    database = url.database
    if (url.get_backend_name() == "sqlite" and database and database != ":memory:"
            and not database.startswith("file:")):
        return Path(database).parent / path
    return path


class Database(DatabaseHandle):
    """carebridge's own database: the shared handle, plus the key that seals digest secrets."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.database_url)
        self.settings = settings

    @cached_property
    def audit_log(self) -> AuditLog:
        return AuditLog(self)

    def dispose(self) -> None:
        if "audit_log" in self.__dict__:
            self.audit_log.dispose()
        super().dispose()

    @property
    def secret_key_path(self) -> Path | None:
        """The key file in use, or None when ``CAREBRIDGE_SECRET_KEY`` gives the key."""
        return None if self.settings.security.secret_key else secret_key_path(self.settings)

    @cached_property
    def secret_box(self) -> SecretBox:
        """The digest-secret box, its key checked against the one the database was set up with.

        The first use records the key's fingerprint (once the key is seen to open any
        digest secret already stored); a later process with another key gets
        SecretKeyMismatch instead of refusing every PasswordDigest login.
        """
        with self.transaction() as session:
            expected = session.scalar(select(ServiceSetting.value).where(
                ServiceSetting.name == FINGERPRINT_SETTING))
            sealed = None if expected else session.execute(
                select(Facility.name, Facility.digest_secret)
                .where(Facility.digest_secret.is_not(None)).order_by(Facility.id).limit(1)
            ).first()
        box = self._load_box(expected, sealed is not None)
        if expected is None:
            if sealed is not None and box.open(sealed.name, sealed.digest_secret) is None:
                raise SecretKeyMismatch(
                    f"its PasswordDigest secrets do not open with key {box.fingerprint}",
                    None, box.fingerprint)
            expected = self._record_fingerprint(box.fingerprint)
        if box.fingerprint != expected:
            raise SecretKeyMismatch(f"fingerprint {expected}, this key's {box.fingerprint}",
                                    expected, box.fingerprint)
        return box

    def _load_box(self, expected: str | None, has_secrets: bool) -> SecretBox:
        if self.settings.security.secret_key:
            return SecretBox(self.settings.security.secret_key.encode("utf-8"))
        path = secret_key_path(self.settings)
        try:
            key = read_key(path)
        except OSError as exc:
            raise StoreError(f"cannot read the key file {path}: {exc.strerror}") from None
        if key == b"":  # a key of nothing would seal with a well-known key
            raise SecretKeyMismatch(f"the key file {path} is empty", expected, None)
        if key is None:
            if expected is not None or has_secrets:  # a new key would open nothing stored
                known = f"fingerprint {expected}" if expected else "it holds sealed secrets"
                raise SecretKeyMismatch(f"{known}, no key file {path}", expected, None)
            try:
                key = create_key(path)
            except OSError as exc:
                raise StoreError(f"cannot create the key file {path}: {exc.strerror}") from None
            log.info("created the secret key file %s", path)
        return SecretBox(key)

    def _record_fingerprint(self, fingerprint: str) -> str:
        """Record ``fingerprint`` as the database's key; if another process won, its one."""
        try:
            with self.transaction() as session:
                session.add(ServiceSetting(name=FINGERPRINT_SETTING, value=fingerprint))
        except IntegrityError:
            with self.transaction() as session:
                return session.get_one(ServiceSetting, FINGERPRINT_SETTING).value
        return fingerprint
