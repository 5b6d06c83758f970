"""One settings object, built once from the environment and an optional TOML file.

Precedence: ``CAREBRIDGE_*`` environment variables, then the TOML file named by
``CAREBRIDGE_CONFIG`` (keys are the field names below, lower case), then the
defaults. Nothing else in carebridge reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "CAREBRIDGE_"


class ConfigError(ValueError):
    """A setting has a value carebridge cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/carebridge.sqlite"
    incoming_dir: Path = Path("var/incoming")
    archive_dir: Path = Path("var/archive")
    work_dir: Path = Path("var/work")
    scan_interval: float = 10.0
    # Key that encrypts the PasswordDigest secrets; every node needs the same one.
    # Empty: a key file is created under var/ on first use (single-node default).
    secret_key: str = ""
    secret_key_file: Path = Path("var/secret.key")
    # Seconds a file's size must stay unchanged before the importer takes it.
    settle_seconds: float = 2.0
    # Importer lease: how long a holder may be silent before another node takes over.
    lease_seconds: float = 60.0
    # Zip safety limits.
    max_entry_bytes: int = 2 * 1024**3
    max_total_bytes: int = 8 * 1024**3
    max_compression_ratio: float = 200.0
    # SOAP request limits.
    max_request_bytes: int = 4 * 1024 * 1024
    # WS-Security: accepted clock skew / age of wsu:Created, seconds.
    wsse_freshness_seconds: float = 300.0
    # A push whose dependsOn has not been imported waits this long (from the file's
    # modification time) for it, then fails with DEPENDENCY_NOT_MET as OSCAR's does.
    dependency_wait_seconds: float = 86400.0
    # EMR side: OSCAR's database (demo: SQLite), where pushes are written before shipping.
    emr_database_url: str = "sqlite:///var/emr.sqlite"
    emr_export_dir: Path = Path("var/emr-export")
    emr_document_dir: Path = Path("var/emr-documents")  # OSCAR's DOCUMENT_DIR
    # HL7: the character set of ER7 bytes whose MSH-18 names none.
    hl7_default_charset: str = "utf-8"
    # Excessive length-of-stay monitor.
    los_window_seconds: float = 10.0
    los_factor: float = 1.5
    los_alert_file: Path = Path("var/los-alerts.jsonl")
    # Optional e-mail for LOS alerts: smtp://[user:password@]host:port?from=A&to=B[,C]
    # (smtps:// for TLS). Empty: no e-mail.
    smtp_url: str = ""
    # SIGTERM: seconds /health answers 503 (while still serving) before the graceful stop.
    drain_seconds: float = 5.0
    log_level: str = "INFO"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = environ.get(ENV_PREFIX + "CONFIG")
        if config_file:
            values.update(_read_toml(Path(config_file)))
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and f.name != "extra":
                values[f.name] = raw
        return cls.build(values)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Settings:
        """Coerce raw values (strings from the environment, TOML scalars) to field types."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, raw in values.items():
            f = known.get(name)
            if f is None or name == "extra":
                extra[name] = raw
                continue
            kwargs[name] = _coerce(name, f.default, raw)
        return cls(**kwargs, extra=extra)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    section = data.get("carebridge", data)
    return {str(k).lower(): v for k, v in section.items()}


def _coerce(name: str, default: Any, raw: Any) -> Any:
    try:
        if isinstance(default, Path):
            return Path(raw)
        if isinstance(default, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            value = float(raw)
            if value < 0:
                raise ValueError("must not be negative")
            return value
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}={raw!r}: {exc}") from exc
