from pathlib import Path

from carebridge.store.credentials import (
    SecretBox,
    create_key,
    hash_password,
    read_key,
    verify_password,
)


def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first.startswith("scrypt$") and first != second  # salted
    assert "s3cret" not in first
    assert verify_password("s3cret", first)
    assert not verify_password("s3cret ", first)
    assert not verify_password("s3cret", "sha1$abc")
    assert not verify_password("s3cret", "garbage")


def test_secret_box_binds_the_facility_and_the_key(tmp_path: Path) -> None:
    box = SecretBox(b"key one")
    sealed = box.seal("clinic-a", "pw")
    assert "pw" not in sealed
    assert box.open("clinic-a", sealed) == "pw"
    assert box.open("clinic-b", sealed) is None
    assert SecretBox(b"key two").open("clinic-a", sealed) is None


def test_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret.key"
    sealed = SecretBox(create_key(key_file)).seal("f", "pw")
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert SecretBox(read_key(key_file)).open("f", sealed) == "pw"


def test_verified_cache_remembers_only_successes_and_no_password() -> None:
    from carebridge.store.credentials import VerifiedCache

    stored = hash_password("right")
    cache = VerifiedCache(size=2)
    assert cache.verify("right", stored) and cache.verify("right", stored)
    assert not cache.verify("wrong", stored)
    assert all(b"right" not in key for key in cache._seen)
    assert not cache.verify("right", hash_password("other"))  # a new hash: a new check
