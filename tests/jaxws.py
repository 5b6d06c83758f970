"""A real JAX-WS client for FacilityService: Debian's JAX-WS RI 2.3 (package libjaxws-java).

``build_client`` runs wsimport (from jaxws-tools.jar) on the checked-in WSDL, generating
OSCAR's stub package ``org.oscarehr.caisi_integrator.ws``, and compiles those stubs with
tests/java/jaxws/src (``carebridge.jaxwsclient.StatusCheck``). ``run_client`` runs StatusCheck,
which builds its port the way OSCAR's CaisiIntegratorManager does: from the live server's
``?wsdl``, with a PasswordText UsernameToken (mustUnderstand=1) added by a SOAPHandler.

Class paths are listed jar by jar: the smallest sets that work on Java 17 (JAX-WS and JAXB
left the JDK in 11). Debian's jars also name dependencies in their manifests' Class-Path
(woodstox, stax2-api, FastInfoset, ...), which the JVM follows; the lists below do not need
them.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.jvm import java_available

JARS = Path("/usr/share/java")
SRC = Path(__file__).resolve().parent / "java" / "jaxws" / "src"
WSDL = Path(__file__).resolve().parents[1] / "wsdl" / "FacilityService.wsdl"
STUB_PACKAGE = "org.oscarehr.caisi_integrator.ws"
MAIN = "carebridge.jaxwsclient.StatusCheck"
# What the generated FacilityWsService's no-argument constructor would fetch; never used (the
# client always passes ENDPOINT?wsdl) but keeps the checkout's path out of the generated code.
WSDL_LOCATION = "http://localhost:8080/caisi_integrator/ws/FacilityService?wsdl"

# The JAX-WS RI client at run time (and for javac: only the four *-api jars are referenced).
RUNTIME_JARS = (
    "jaxws-rt.jar",  # com.sun.xml.ws: the RI itself
    "jaxws-api.jar",  # javax.xml.ws
    "jws-api.jar",  # javax.jws
    "jaxb-api.jar",  # javax.xml.bind
    "jaxb-runtime.jar",  # com.sun.xml.bind.v2 (a.k.a. jaxb-impl.jar)
    "jaxb-core.jar",
    "istack-commons-runtime.jar",
    "javax.xml.soap-api.jar",  # javax.xml.soap (SAAJ API)
    "saaj-impl.jar",
    "javax.activation.jar",
    "stax-ex.jar",
    "streambuffer.jar",
    "metro-policy.jar",
    "gmbal.jar",
)
# wsimport: jaxws-tools plus XJC on top of the runtime (saaj, soap-api and gmbal not needed).
WSIMPORT_JARS = (
    "jaxws-tools.jar",
    "jaxb-xjc.jar",
    "xsom.jar",
    "codemodel.jar",
    "rngom.jar",
    "relaxngDatatype.jar",
    "istack-commons-tools.jar",
    *(j for j in RUNTIME_JARS if j not in ("saaj-impl.jar", "javax.xml.soap-api.jar",
                                           "gmbal.jar")),
)
JVM_OPTIONS = (
    # saaj-impl registers itself under a deprecated service name and the SAAJ API warns about
    # it on every message; naming the factory up front keeps stderr for real problems.
    "-Djavax.xml.soap.SAAJMetaFactory=com.sun.xml.messaging.saaj.soap.SAAJMetaFactoryImpl",
    # a short-lived client: C1 only and the serial GC take a run from ~1.0 s to ~0.5 s
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
)
_STAMP = ".built"
_BUILD_TIMEOUT = 300
RUN_TIMEOUT = 60


def _classpath(jars: Sequence[str], *first: Path) -> str:
    return os.pathsep.join([*(str(p) for p in first), *(str(JARS / j) for j in jars)])


@functools.cache
def jaxws_available() -> bool:
    """True when java/javac work and every jar of the JAX-WS RI (and wsimport) is installed."""
    if not java_available():
        return False
    return all((JARS / jar).is_file() for jar in {*RUNTIME_JARS, *WSIMPORT_JARS})


def _inputs() -> list[Path]:
    return [WSDL, *sorted(SRC.rglob("*.java"))]


def _signature(inputs: Sequence[Path]) -> list[str]:
    """What the stamp records: the inputs and the recipe (package, jars)."""
    return [*map(str, inputs), STUB_PACKAGE, *RUNTIME_JARS, *WSIMPORT_JARS]


def _up_to_date(out: Path, inputs: Sequence[Path]) -> bool:
    stamp = out / _STAMP
    if not stamp.is_file():
        return False
    if stamp.read_text(encoding="utf-8").splitlines() != _signature(inputs):
        return False
    built = stamp.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in inputs)


def _run(cmd: list[str], what: str) -> None:
    try:
        subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=_BUILD_TIMEOUT)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(
            f"{what} failed with exit status {exc.returncode}: {' '.join(cmd[:8])} ...\n"
            f"--- stderr ---\n{exc.stderr}\n--- stdout ---\n{exc.stdout}"
        ) from exc


def build_client(build_dir: Path) -> Path:
    """wsimport + javac into build_dir/jaxws (skipped when up to date); returns that directory.

    build_dir/jaxws/gen holds the generated stub sources, build_dir/jaxws/classes the classes.
    """
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    out = build_dir / "jaxws"
    with open(build_dir / ".jaxws-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        inputs = _inputs()
        if _up_to_date(out, inputs):
            return out
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "gen").mkdir(parents=True)
        (tmp / "classes").mkdir()
        _run(["java", "-cp", _classpath(WSIMPORT_JARS), "com.sun.tools.ws.WsImport",
              "-quiet", "-keep", "-Xnocompile", "-p", STUB_PACKAGE, "-wsdllocation",
              WSDL_LOCATION, "-s", str(tmp / "gen"), str(WSDL)], "wsimport")
        sources = sorted((tmp / "gen").rglob("*.java")) + inputs[1:]
        _run(["javac", "-encoding", "UTF-8", "-nowarn", "-d", str(tmp / "classes"),
              "-cp", _classpath(RUNTIME_JARS), *map(str, sources)], "javac")
        (tmp / _STAMP).write_text("\n".join(_signature(inputs)) + "\n", encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def client_command(build_dir: Path, *args: str) -> list[str]:
    """The java command line that runs StatusCheck with ``args``."""
    out = build_client(Path(build_dir))
    return ["java", *JVM_OPTIONS, "-cp", _classpath(RUNTIME_JARS, out / "classes"), MAIN, *args]


def run_client(build_dir: Path, *args: str, expect_failure: bool = False) -> dict:
    """Run StatusCheck ``args`` (ENDPOINT USER PASSWORD COMMAND ...); returns its JSON line.

    With ``--trace`` among the args, the envelopes StatusCheck wrote to stderr are returned
    under ``trace``.

    A non-zero exit raises RuntimeError (with stderr), unless ``expect_failure`` is set: then
    the result is StatusCheck's own JSON (``fault``/``faultCode`` for a SOAP fault, exit 3;
    ``error`` for anything else, exit 4) plus ``error`` (the fault string when there is no
    error of its own, else stderr), ``exit`` (the status) and ``stderr``.
    """
    cmd = client_command(build_dir, *args)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {"stdout": done.stdout}
    if done.returncode == 0:
        if not lines:
            raise RuntimeError(f"StatusCheck printed nothing\n--- stderr ---\n{done.stderr}")
        if "--trace" in args:
            report["trace"] = done.stderr
        return report
    if not expect_failure:
        raise RuntimeError(
            f"StatusCheck {' '.join(args[3:])} failed with exit status {done.returncode}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
        )
    error = report.get("error") or report.get("fault") or done.stderr
    return {**report, "error": error, "exit": done.returncode, "stderr": done.stderr}


# -- OSCAR's stubs, declared from their facts (tests/oscar_stubs.py) ---------------------

OSCAR_SRC = Path(__file__).resolve().parent / "java" / "oscar" / "src"
OSCAR_MAIN = "carebridge.jaxwsclient.OscarSequences"
_SHARED = ("Json.java", "WsSecurityHandler.java", "TraceHandler.java", "OscarPorts.java")


def build_oscar_client(build_dir: Path) -> Path:
    """The stubs written from the catalogue plus OscarSequences, compiled into
    build_dir/oscar (rebuilt when the catalogue or a source is newer)."""
    from tests.oscar_stubs import CATALOGUE, write_stubs

    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    out = build_dir / "oscar"
    inputs = [CATALOGUE, Path(__file__).with_name("oscar_stubs.py"),
              *sorted(OSCAR_SRC.rglob("*.java")), *(SRC / "carebridge" / "jaxwsclient" / name
                                                    for name in _SHARED)]
    with open(build_dir / ".oscar-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _up_to_date(out, inputs):
            return out
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "classes").mkdir(parents=True)
        stubs = write_stubs(tmp / "gen")
        _run(["javac", "-encoding", "UTF-8", "-nowarn", "-d", str(tmp / "classes"),
              "-cp", _classpath(RUNTIME_JARS), *map(str, stubs),
              *(str(p) for p in inputs[2:])], "javac (OSCAR's stubs)")
        (tmp / _STAMP).write_text("\n".join(_signature(inputs)) + "\n", encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def run_oscar(build_dir: Path, *args: str) -> dict:
    """OscarSequences ``args`` (BASE_URL USER PASSWORD SEQUENCE ...): its JSON line, with
    ``exit`` added; a failure other than a SOAP Fault raises RuntimeError."""
    out = build_oscar_client(Path(build_dir))
    cmd = ["java", *JVM_OPTIONS, "-cp", _classpath(RUNTIME_JARS, out / "classes"), OSCAR_MAIN,
           *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    lines = done.stdout.strip().splitlines()
    if done.returncode not in (0, 3) or not lines:
        raise RuntimeError(f"OscarSequences {' '.join(args[3:])} failed ({done.returncode})\n"
                           f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}")
    return {**json.loads(lines[-1]), "exit": done.returncode}
