"""One settings object, built once from the environment and an optional TOML file.

Precedence: ``CAREBRIDGE_*`` environment variables, then the TOML file named by
``CAREBRIDGE_CONFIG`` (keys are the field names below, lower case), then the
defaults. Nothing else in carebridge reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
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
    # Empty: a key file is created on first use (single-node default).
    secret_key: str = ""
    # A relative key file sits next to the SQLite database file (var/secret.key by default).
    secret_key_file: Path = Path("secret.key")
    # Seconds a file's size must stay unchanged before the importer takes it.
    settle_seconds: float = 2.0
    # Importer lease: how long a holder may be silent before another node takes over.
    lease_seconds: float = 60.0
    # Zip safety limits.
    max_entry_bytes: int = 2 * 1024**3
    max_total_bytes: int = 8 * 1024**3
    max_compression_ratio: float = 200.0
    # Importer memory limits (the defaults keep a 1 GB importer's peak RSS under 400 MB):
    # decompressed size of one entry of a main push zip (.ser, documentMeta.txt) ...
    max_ser_entry_bytes: int = 256 * 1024**2
    # ... and of the whole main zip; one byte[]/String in a .ser (photos: documents travel
    # in the -Docs.zip); the estimated memory (and JSON size) of one decoded top-level
    # object; one document of a -Docs.zip (held in memory while it is stored).
    max_push_bytes: int = 4 * 1024**3
    max_array_bytes: int = 16 * 1024**2
    max_object_bytes: int = 64 * 1024**2
    max_document_bytes: int = 64 * 1024**2
    # Multi-clinic deployments: import from incoming_dir/<facility directory>/ only, where a
    # file must name that directory's facility (README: "Per-facility incoming").
    per_facility_incoming: bool = False
    # SOAP request limits.
    max_request_bytes: int = 4 * 1024 * 1024
    # Slow clients: seconds a node waits for a request's headers (from the connection or its
    # first byte) and then for its body; past them it answers 408 and closes the connection.
    http_header_timeout: float = 10.0
    http_body_timeout: float = 30.0
    # Request threads per web worker. Slow clients never hold one (the worker buffers
    # whole requests first); more threads only overlap requests waiting on the database,
    # and under CPU load they cost throughput (GIL): 1 measured fastest on 2 cores.
    worker_threads: int = 1
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
    # HL7 limits no real feed reaches: a message over them is refused with a located ERR.
    hl7_max_message_bytes: int = 4 * 1024 * 1024
    hl7_max_segments: int = 2000
    hl7_max_field_chars: int = 64 * 1024  # encapsulated data (OBX-5 of type ED) excepted
    # Event and visit times before this year or this far in the future are refused (AE).
    hl7_earliest_year: int = 1900
    hl7_max_future_seconds: float = 86400.0
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = environ.get(ENV_PREFIX + "CONFIG")
        if config_file:
            values.update(_read_toml(Path(config_file)))
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = raw
        return cls.build(values)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Settings:
        """Coerce raw values (strings from the environment, TOML scalars) to field types.

        An unknown name is an error: a misspelt key would otherwise be silently ignored
        and its default used."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, raw in values.items():
            f = known.get(name)
            if f is None:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"unknown setting {name!r}{hint}")
            kwargs[name] = _coerce(name, f.default, raw)
        return cls(**kwargs)

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
