"""One settings object, built once from the environment and an optional TOML file.

Precedence: ``CAREBRIDGE_*`` environment variables, then the TOML file named by
``CAREBRIDGE_CONFIG`` (flat keys, or a group's keys in its own table such as
``[carebridge.hl7]``), then the defaults. Nothing else in carebridge reads
``os.environ``. The names outside are flat (``CAREBRIDGE_HL7_MAX_SEGMENTS``,
``hl7_max_segments = 2000`` in the file); inside, settings come in small frozen groups,
each handed whole to the part that owns it (``settings.hl7.max_segments``): a group's
outside name is its prefix and the field's name.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "CAREBRIDGE_"


class ConfigError(ValueError):
    """A setting has a value carebridge cannot use."""


@dataclass(frozen=True)
class ImporterSettings:
    """Where pushes arrive and how the importer loop treats them."""

    incoming_dir: Path = Path("var/incoming")
    archive_dir: Path = Path("var/archive")
    work_dir: Path = Path("var/work")
    scan_interval: float = 10.0
    # Seconds a file's size must stay unchanged before the importer takes it.
    settle_seconds: float = 2.0
    # Importer lease: how long a holder may be silent before another node takes over.
    lease_seconds: float = 60.0
    # A push whose dependsOn has not been imported waits this long (from the file's
    # modification time) for it, then fails with DEPENDENCY_NOT_MET as OSCAR's does.
    dependency_wait_seconds: float = 86400.0
    # Multi-clinic deployments: import from incoming_dir/<facility directory>/ only, where a
    # file must name that directory's facility (README: "Per-facility incoming").
    per_facility_incoming: bool = False


@dataclass(frozen=True)
class PushLimits:
    """Zip safety and importer memory (the defaults keep a 1 GB importer's peak RSS under
    400 MB)."""

    max_entry_bytes: int = 2 * 1024**3
    max_total_bytes: int = 8 * 1024**3
    max_compression_ratio: float = 200.0
    # Decompressed size of one entry of a main push zip (.ser, documentMeta.txt) ...
    max_ser_entry_bytes: int = 256 * 1024**2
    # ... and of the whole main zip; one byte[]/String in a .ser (photos: documents travel
    # in the -Docs.zip); the estimated memory (and JSON size) of one decoded top-level
    # object; one document of a -Docs.zip (held in memory while it is stored).
    max_push_bytes: int = 4 * 1024**3
    max_array_bytes: int = 16 * 1024**2
    max_object_bytes: int = 64 * 1024**2
    max_document_bytes: int = 64 * 1024**2


@dataclass(frozen=True)
class SecuritySettings:
    """WS-Security and the key that seals PasswordDigest secrets."""

    # Every node needs the same key. Empty: a key file is created on first use.
    secret_key: str = ""
    # A relative key file sits next to the SQLite database file (var/secret.key by default).
    secret_key_file: Path = Path("secret.key")
    # Accepted clock skew / age of wsu:Created, seconds.
    wsse_freshness_seconds: float = 300.0


@dataclass(frozen=True)
class ServerSettings:
    """The HTTP side of a node."""

    max_request_bytes: int = 4 * 1024 * 1024
    # Slow clients: seconds a node waits for a request's headers (from the connection or its
    # first byte) and then for its body; past them it answers 408 and closes the connection.
    http_header_timeout: float = 10.0
    http_body_timeout: float = 30.0
    # Request threads per web worker. Slow clients never hold one (the worker buffers
    # whole requests first); more threads only overlap requests waiting on the database,
    # and under CPU load they cost throughput (GIL): 1 measured fastest on 2 cores.
    worker_threads: int = 1
    # SIGTERM: seconds /health answers 503 (while still serving) before the graceful stop.
    drain_seconds: float = 5.0
    # Seconds between two rounds of the outbox worker loop (LOS alert lines and e-mails).
    outbox_interval: float = 1.0
    # The base URL clients reach the node at (https://integrator.example.org), for the
    # soap:address of the WSDLs. Empty: the balancer's X-Forwarded-Proto/-Host, else the
    # request's own scheme and Host.
    public_base_url: str = ""


@dataclass(frozen=True)
class HL7Settings:
    """Outside names ``hl7_*``."""

    # The character set of ER7 bytes whose MSH-18 names none.
    default_charset: str = "utf-8"
    # Limits no real feed reaches: a message over them is refused with a located ERR.
    max_message_bytes: int = 4 * 1024 * 1024
    max_segments: int = 2000
    max_field_chars: int = 64 * 1024  # encapsulated data (OBX-5 of type ED) excepted
    # Event and visit times before this year or this far in the future are refused (AE).
    earliest_year: int = 1900
    max_future_seconds: float = 86400.0


@dataclass(frozen=True)
class LosSettings:
    """The excessive length-of-stay monitor; outside names ``los_*``."""

    window_seconds: float = 10.0
    factor: float = 1.5
    alert_file: Path = Path("var/los-alerts.jsonl")


@dataclass(frozen=True)
class SmtpSettings:
    """Outside name ``smtp_url``."""

    # E-mail for LOS alerts: smtp://[user:password@]host:port?from=A&to=B[,C] (smtps:// for
    # TLS). Empty: no e-mail.
    url: str = ""


@dataclass(frozen=True)
class EmrSettings:
    """The EMR side; outside names ``emr_*``."""

    # OSCAR's database (demo: SQLite), where pushes are written before shipping.
    database_url: str = "sqlite:///var/emr.sqlite"
    export_dir: Path = Path("var/emr-export")
    document_dir: Path = Path("var/emr-documents")  # OSCAR's DOCUMENT_DIR
    # The class generation pushes are written in: "0.0.4" as OSCAR 19 writes
    # (integrator-objects 0.0.4), or "legacy" for an integrator JVM with the older wrapper
    # classes (carebridge.oscar.classes.PUSH_FORMATS; docs/oscar-push-format.md).
    push_format: str = "0.0.4"

    def __post_init__(self) -> None:
        if self.push_format not in EMR_PUSH_FORMATS:
            raise ConfigError(f"setting emr_push_format={self.push_format!r}: one of "
                              f"{', '.join(EMR_PUSH_FORMATS)}")


@dataclass(frozen=True)
class MllpSettings:
    """The MLLP listener; outside names ``mllp_*``."""

    # HOST:PORT to listen on; empty: no MLLP listener.
    bind: str = ""
    # Listener processes (each binds with SO_REUSEPORT and commits on its own).
    workers: int = 1
    max_connections: int = 1000
    # A frame, once started, must be complete within this many seconds; a connection
    # silent this long between frames is closed (0: kept open for as long as the peer
    # likes); an ACK the peer does not read within write_timeout closes the connection.
    frame_timeout: float = 30.0
    idle_timeout: float = 0.0
    write_timeout: float = 30.0
    # Group commit: messages from different connections committed in one transaction, at
    # most this many, waiting at most commit_window seconds for a batch to fill (0: take
    # what is queued; what arrives meanwhile forms the next batch, measured no slower).
    commit_batch: int = 50
    commit_window: float = 0.0
    # Committer threads per listener process: one works while another waits on the database.
    commit_threads: int = 2
    # TLS: this certificate and key; with tls_ca, client certificates signed by it name
    # the facility (subject CN = facility name).
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca: str = ""
    # Comma-separated addresses or CIDR networks of load balancers: connections from them
    # must begin with a PROXY protocol v2 header naming the real peer.
    proxy_from: str = ""


# carebridge.oscar.classes.PUSH_FORMATS' names (config imports nothing of carebridge; a
# unit test keeps the two equal).
EMR_PUSH_FORMATS = ("0.0.4", "legacy")


# Each group and the prefix of its fields' outside names.
_GROUPS: dict[str, str] = {
    "importer": "", "limits": "", "security": "", "server": "",
    "hl7": "hl7_", "los": "los_", "smtp": "smtp_", "emr": "emr_", "mllp": "mllp_",
}


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/carebridge.sqlite"
    log_level: str = "INFO"
    importer: ImporterSettings = field(default_factory=ImporterSettings)
    limits: PushLimits = field(default_factory=PushLimits)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    hl7: HL7Settings = field(default_factory=HL7Settings)
    los: LosSettings = field(default_factory=LosSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    emr: EmrSettings = field(default_factory=EmrSettings)
    mllp: MllpSettings = field(default_factory=MllpSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = environ.get(ENV_PREFIX + "CONFIG")
        if config_file:
            values.update(_read_toml(Path(config_file)))
        for name in outside_names():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        return cls.build(values)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Settings:
        """Coerce raw values (strings from the environment, TOML scalars) to field types.

        An unknown name is an error: a misspelt key would otherwise be silently ignored
        and its default used."""
        return cls().replace(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with settings changed by their outside (flat) names, values coerced."""
        where = _where()
        top: dict[str, Any] = {}
        grouped: dict[str, dict[str, Any]] = {}
        for name, raw in changes.items():
            if name not in where:
                close = difflib.get_close_matches(name, where, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"unknown setting {name!r}{hint}")
            group, attribute, default = where[name]
            value = _coerce(name, default, raw)
            if group is None:
                top[attribute] = value
            else:
                grouped.setdefault(group, {})[attribute] = value
        for group, values in grouped.items():
            top[group] = dataclasses.replace(getattr(self, group), **values)
        return dataclasses.replace(self, **top)

    def outside(self) -> dict[str, Any]:
        """Every setting by its outside name (what ``replace`` and the environment take)."""
        return {name: (getattr(self, attribute) if group is None
                       else getattr(getattr(self, group), attribute))
                for name, (group, attribute, _default) in _where().items()}


def outside_names() -> Iterator[str]:
    yield from _where()


@functools.cache
def _where() -> dict[str, tuple[str | None, str, Any]]:
    """Outside name -> (group or None, attribute, default)."""
    found: dict[str, tuple[str | None, str, Any]] = {}
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        if f.name in _GROUPS:
            for g in dataclasses.fields(getattr(defaults, f.name)):
                found[_GROUPS[f.name] + g.name] = (f.name, g.name, g.default)
        else:
            found[f.name] = (None, f.name, f.default)
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    section = data.get("carebridge", data)
    values: dict[str, Any] = {}
    for key, value in section.items():
        name = str(key).lower()
        if isinstance(value, dict):  # a group's own table: [carebridge.hl7] max_segments = ...
            if name not in _GROUPS:
                raise ConfigError(f"config file {path}: unknown table [{key}] (the groups: "
                                  f"{', '.join(_GROUPS)})")
            values.update({_GROUPS[name] + str(k).lower(): v for k, v in value.items()})
        else:
            values[name] = value
    return values


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
