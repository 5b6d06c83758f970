"""JVM test kit: genuine OSCAR integrator pushes written by java.io.ObjectOutputStream.

The Java sources live in tests/java/src (stand-ins for the OSCAR/integrator classes plus the
``carebridge.testkit`` generator and reader); tests/java/src-v2 holds a future, incompatible
IntegratorFileHeader that goes first on the classpath when ``header_version=2``.

The stand-ins are the classes of integrator-objects 0.0.4 (OSCAR 19, push format "0.0.4");
tests/java/src-legacy holds the older generation's ProgramDeleteIdWrapper (its JVM computes
another serialVersionUID), first on the classpath when ``push_format="legacy"``.
tests/java/jar-stubs holds empty OpenJPA / log4j / Named types, just enough to load the real
integrator-objects jar's classes for ``serial_facts(..., jar=...)``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

JAVA_DIR = Path(__file__).resolve().parent / "java"
SRC = JAVA_DIR / "src"
SRC_V2 = JAVA_DIR / "src-v2"
SRC_LEGACY = JAVA_DIR / "src-legacy"
JAR_STUBS = JAVA_DIR / "jar-stubs"
PUSH_FORMATS = ("0.0.4", "legacy")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_STAMP = ".compiled"


@functools.cache
def java_available() -> bool:
    """True when both javac and java are on PATH and java runs."""
    if shutil.which("java") is None or shutil.which("javac") is None:
        return False
    try:
        subprocess.run(["java", "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def _sources(root: Path) -> list[Path]:
    return sorted(root.rglob("*.java"))


def _up_to_date(out: Path, sources: Sequence[Path]) -> bool:
    stamp = out / _STAMP
    if not stamp.is_file():
        return False
    listed = stamp.read_text(encoding="utf-8").splitlines()
    if listed != [str(s) for s in sources]:
        return False
    built = stamp.stat().st_mtime
    return all(s.stat().st_mtime <= built for s in sources)


def _compile(src: Path, out: Path) -> None:
    sources = _sources(src)
    if _up_to_date(out, sources):
        return
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _run(["javac", "-encoding", "UTF-8", "-nowarn", "-d", str(tmp), *map(str, sources)], "javac")
    (tmp / _STAMP).write_text("\n".join(str(s) for s in sources) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def build_classes(build_dir: Path) -> Path:
    """Compile tests/java/src to build_dir/classes, src-v2 to build_dir/classes-v2, src-legacy
    to build_dir/classes-legacy and jar-stubs to build_dir/classes-jar-stubs (if stale)."""
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".jvm-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _compile(SRC, build_dir / "classes")
        _compile(SRC_V2, build_dir / "classes-v2")
        _compile(SRC_LEGACY, build_dir / "classes-legacy")
        _compile(JAR_STUBS, build_dir / "classes-jar-stubs")
    return build_dir


@dataclass
class PushFiles:
    """What MakePush wrote: the main zip, the docs zip (or None) and counts."""

    main: Path
    docs: Path | None
    checksum: str
    base: str
    patients: int
    objects: int
    records: int
    documents: int


def _millis(value: dt.datetime) -> int:
    if value.tzinfo is None:  # naive datetimes are taken as UTC
        value = value.replace(tzinfo=dt.UTC)
    return (value - _EPOCH) // dt.timedelta(milliseconds=1)


def _classpath(build_dir: Path, header_version: int = 1, push_format: str = "0.0.4",
               jar: Path | None = None) -> str:
    """The stand-ins, with the classes of a header version / push format first; ``jar``
    (a real integrator-objects jar) goes before the stand-ins, with the jar stubs."""
    if header_version not in (1, 2):
        raise ValueError(f"header_version must be 1 or 2, not {header_version}")
    if push_format not in PUSH_FORMATS:
        raise ValueError(f"push_format must be one of {PUSH_FORMATS}, not {push_format!r}")
    parts = [build_dir / "classes"]
    if jar is not None:
        parts[:0] = [build_dir / "classes-jar-stubs", Path(jar)]
    if push_format == "legacy":
        parts.insert(0, build_dir / "classes-legacy")
    if header_version == 2:
        parts.insert(0, build_dir / "classes-v2")
    return os.pathsep.join(str(p) for p in parts)


def _run(cmd: list[str], what: str) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(
            f"{what} failed with exit status {exc.returncode}: {' '.join(cmd[:6])} ...\n"
            f"--- stderr ---\n{exc.stderr}\n--- stdout ---\n{exc.stdout}"
        ) from exc
    return done.stdout


def make_push(
    build_dir: Path,
    out_dir: Path,
    *,
    username: str,
    patients: int,
    date: dt.datetime,
    last_date: dt.datetime | None = None,
    depends_on: str | None = None,
    emr_facility_id: int = 1,
    seed: int = 1,
    footer: bool = True,
    documents: bool = True,
    truncate_last_ser: int = 0,
    header_version: int = 1,
    provider_messages: int = 0,
    push_format: str = "0.0.4",
) -> PushFiles:
    """Run carebridge.testkit.MakePush and return the files it wrote into out_dir.

    ``provider_messages`` adds Open-O's provider-message list after the header: a class
    the integrator does not know. ``push_format`` is the class generation written.
    """
    build_dir = build_classes(Path(build_dir))
    cmd = [
        "java", "-cp", _classpath(build_dir, header_version, push_format),
        "carebridge.testkit.MakePush",
        "--out", str(out_dir),
        "--username", username,
        "--emr-facility-id", str(emr_facility_id),
        "--patients", str(patients),
        "--seed", str(seed),
        "--date", str(_millis(date)),
        "--last-date", str(_millis(last_date) if last_date is not None else 0),
        "--depends-on", depends_on if depends_on is not None else "-",
        "--truncate-last-ser", str(truncate_last_ser),
        "--provider-messages", str(provider_messages),
    ]  # fmt: skip
    if not footer:
        cmd.append("--no-footer")
    if not documents:
        cmd.append("--no-documents")
    report = json.loads(_run(cmd, "MakePush"))
    return PushFiles(
        main=Path(report["main"]),
        docs=Path(report["docs"]) if report["docs"] else None,
        checksum=report["checksum"],
        base=report["base"],
        patients=report["patients"],
        objects=report["objects"],
        records=report["records"],
        documents=report["documents"],
    )


def read_push(build_dir: Path, zip_path: Path, *, header_version: int = 1,
              push_format: str = "0.0.4", jar: Path | None = None) -> dict:
    """Read a main push zip back on the JVM (carebridge.testkit.ReadPush); returns its report.

    The JVM holds the classes of ``push_format`` (or those of a real ``jar``). A read error
    is reported in the "error" key (ReadPush exits 1), not raised.
    """
    build_dir = build_classes(Path(build_dir))
    cmd = [
        "java", "-cp", _classpath(build_dir, header_version, push_format, jar),
        "carebridge.testkit.ReadPush", str(zip_path),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(
            f"ReadPush failed with exit status {done.returncode}\n--- stderr ---\n{done.stderr}"
        )
    return json.loads(done.stdout)


def dump_objects(build_dir: Path, ser_path: Path, *, push_format: str = "0.0.4") -> list[dict]:
    """carebridge.testkit.DumpObjects' JSON lines for one .ser file (an error is the last)."""
    build_dir = build_classes(Path(build_dir))
    done = subprocess.run(
        ["java", "-cp", _classpath(build_dir, 1, push_format), "carebridge.testkit.DumpObjects",
         str(ser_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise RuntimeError(f"DumpObjects failed with exit status {done.returncode}\n"
                           f"--- stderr ---\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def serial_facts(build_dir: Path, class_names: Sequence[str], *, push_format: str = "0.0.4",
                 jar: Path | None = None) -> dict[str, dict]:
    """carebridge.testkit.SerialFacts by class name: what ObjectStreamClass.lookup says of
    each class (serialVersionUID, stream fields, SC_WRITE_METHOD, superclass)."""
    build_dir = build_classes(Path(build_dir))
    out = _run(["java", "-cp", _classpath(build_dir, 1, push_format, jar),
                "carebridge.testkit.SerialFacts", *class_names], "SerialFacts")
    facts = [json.loads(line) for line in out.splitlines()]
    return {f["class"]: f for f in facts}
