"""Errors of the storage layer.

StoreError
 ├── FacilityExists     a facility of that name is already registered
 ├── AuthorityTaken     another facility owns that assigning authority
 └── SecretKeyMismatch  the digest-secret key is not the one the database was set up with
"""


class StoreError(Exception):
    """Base of every storage error."""


class FacilityExists(StoreError):
    """A facility of that name is already registered."""


class AuthorityTaken(StoreError):
    """An identifier domain has one owner: another facility already registered it."""


class SecretKeyMismatch(StoreError):
    """The secret key is not the one this database's PasswordDigest secrets were sealed with.

    ``expected`` is the fingerprint the database recorded (None before one was), ``actual``
    this key's (None when there is no key at all).
    """

    def __init__(self, detail: str, expected: str | None, actual: str | None) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"the secret key does not match the one this database was set up with ({detail}); "
            "set CAREBRIDGE_SECRET_KEY or CAREBRIDGE_SECRET_KEY_FILE to the original key")
