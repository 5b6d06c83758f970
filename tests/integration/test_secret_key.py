"""The PasswordDigest key: found next to the database from any directory, and a node with
another key refuses to start in one line instead of refusing every digest login."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import zeep
from sqlalchemy import delete
from zeep.wsse.username import UsernameToken

from carebridge.config import Settings
from carebridge.contracts import contract_path
from carebridge.store.credentials import key_fingerprint
from carebridge.store.database import Database
from carebridge.store.exceptions import SecretKeyMismatch
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge.store.models import ServiceSetting
from carebridge_lab.net import free_port
from tests.integration.conftest import BINDING, PATH
from tests.support.console import SCRIPT, run, serving, user_env

MISMATCH = "the secret key does not match the one this database was set up with"


def my_facility(url: str, digest: bool) -> str:
    token = UsernameToken("clinic-a", "pw-a", use_digest=digest)
    client = zeep.Client(str(contract_path("wsdl", "FacilityService.wsdl")), wsse=token,
                         transport=zeep.Transport(timeout=10, operation_timeout=10))
    return client.create_service(BINDING, url + PATH).getMyFacility().name


def refused_start(cwd: Path, env: dict[str, str], *args: str) -> str:
    """The one line a command that must not start prints (it must exit non-zero)."""
    result = subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Two working directories and one SQLite database elsewhere; no CAREBRIDGE_SECRET_KEY."""
    for name in ("admin", "node", "data"):
        (tmp_path / name).mkdir()
    env = user_env(database_url=f"sqlite:///{tmp_path}/data/carebridge.sqlite",
                   incoming_dir=str(tmp_path / "incoming"), drain_seconds="0")
    return tmp_path / "admin", tmp_path / "node", env


def test_digest_login_works_from_another_directory(dirs: tuple[Path, Path, dict]) -> None:
    admin, node_dir, env = dirs
    assert run(admin, "db", "upgrade", env=env).returncode == 0
    added = run(admin, "facility", "add", "clinic-a", "--password", "pw-a", env=env)
    assert added.returncode == 0, added.stderr
    key_file = admin.parent / "data" / "secret.key"
    assert key_file.is_file() and not (admin / "var").exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"

    with serving(node_dir, "--no-importer", env=env) as node:
        assert my_facility(node.url, digest=True) == "clinic-a"
        assert my_facility(node.url, digest=False) == "clinic-a"
    assert not (node_dir / "var" / "secret.key").exists()


def test_a_node_with_another_key_refuses_to_start(dirs: tuple[Path, Path, dict]) -> None:
    admin, node_dir, env = dirs
    run(admin, "db", "upgrade", env=env)
    assert run(admin, "facility", "add", "clinic-a", "--password", "pw-a",
               env=env).returncode == 0
    key_file = admin.parent / "data" / "secret.key"
    recorded = key_fingerprint(key_file.read_bytes())

    wrong = env | {"CAREBRIDGE_SECRET_KEY": "not-the-original"}
    line = refused_start(node_dir, wrong, "serve", "--bind", f"127.0.0.1:{free_port()}",
                         "--no-importer")
    assert line == (f"Error: {MISMATCH} (fingerprint {recorded}, this key's "
                    f"{key_fingerprint(b'not-the-original')}); set CAREBRIDGE_SECRET_KEY or "
                    "CAREBRIDGE_SECRET_KEY_FILE to the original key")
    assert MISMATCH in refused_start(node_dir, wrong, "import", "--watch",
                                     "--wait-for-database", "0")
    assert MISMATCH in refused_start(node_dir, wrong, "facility", "add", "clinic-b",
                                     "--password", "pw-b")

    # The key file gone: no new key is made up, the node refuses to start.
    key_file.rename(key_file.with_name("moved.key"))
    line = refused_start(node_dir, env, "serve", "--bind", f"127.0.0.1:{free_port()}",
                         "--no-importer")
    assert MISMATCH in line and f"fingerprint {recorded}, no key file" in line
    assert not key_file.exists()
    # Pointed at the moved file, it starts again.
    moved = env | {"CAREBRIDGE_SECRET_KEY_FILE": str(key_file.with_name("moved.key"))}
    with serving(node_dir, "--no-importer", env=moved) as node:
        assert my_facility(node.url, digest=True) == "clinic-a"


def test_a_database_from_before_fingerprints_adopts_only_its_own_key(
        database_url: str) -> None:
    """Digest secrets stored before the fingerprint existed: the first key that opens them
    is recorded; a key that does not is refused, not recorded."""
    upgrade(database_url)
    original = Settings.build({"database_url": database_url, "secret_key": "original"})
    database = Database(original)
    with database.transaction() as session:
        add_facility(session, "clinic-a", "pw-a", digest_box=database.secret_box)
        session.execute(delete(ServiceSetting))  # as an older carebridge left it
    database.dispose()

    other = Database(original.replace(secret_key="another"))
    with pytest.raises(SecretKeyMismatch) as refused:
        other.secret_box  # noqa: B018
    assert refused.value.expected is None
    assert refused.value.actual == key_fingerprint(b"another")
    with other.transaction() as session:
        assert session.get(ServiceSetting, "secret_key_fingerprint") is None
    other.dispose()

    again = Database(original)
    assert again.secret_box.fingerprint == key_fingerprint(b"original")
    with again.transaction() as session:
        assert session.get_one(ServiceSetting, "secret_key_fingerprint").value == \
            key_fingerprint(b"original")
    again.dispose()
