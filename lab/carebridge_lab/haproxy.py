"""HAProxy in front of the nodes: its configuration (pure) and a child process running it.

Round robin with active health checks on /health (a draining node answers 503 and
is taken out), retries and redispatch for connection failures and empty
responses only, which is safe because every carebridge operation is idempotent
by key, a request body cap, and each request received whole (within 5 s) before it
is passed to a node.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from carebridge_lab.exceptions import ToolMissing
from carebridge_lab.packages import haproxy_path


def render_config(bind: str, servers: Sequence[tuple[str, str]], *,
                  max_body_bytes: int = 4 * 1024 * 1024, check_interval_ms: int = 1000) -> str:
    """``servers``: (name, "host:port") pairs."""
    lines = [
        "global",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 60s",
        # The whole request (headers and the body, up to a buffer) within 5 s, before a
        # node sees any of it: a slow or stuck client ties up HAProxy, not a node.
        "    option http-buffer-request",
        "    timeout http-request 5s",
        "    timeout queue 10s",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response",
        "",
        "frontend carebridge",
        f"    bind {bind}",
        f"    http-request deny deny_status 413 if {{ req.hdr_val(content-length) gt "
        f"{max_body_bytes} }}",
        # The WSDLs advertise the scheme and host the client used: say them, replacing
        # whatever a client sent.
        "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
        "    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }",
        "    http-request set-header X-Forwarded-Host %[req.hdr(host)]",
        "    default_backend nodes",
        "",
        "backend nodes",
        "    balance roundrobin",
        "    option httpchk GET /health",
        "    http-check expect status 200",
        f"    default-server inter {check_interval_ms}ms fall 2 rise 2 init-addr libc,none",
    ]
    lines += [f"    server {name} {address} check" for name, address in servers]
    return "\n".join(lines) + "\n"


def haproxy_binary() -> str:
    found = haproxy_path()
    if found is None:
        raise ToolMissing("HAProxy is not installed (apt-get install haproxy)")
    return found


class HAProxy:
    def __init__(self, config: str, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="carebridge-haproxy-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path = self.root / "haproxy.cfg"
        self.config_path.write_text(config)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> HAProxy:
        binary = haproxy_binary()
        subprocess.run([binary, "-c", "-q", "-f", str(self.config_path)], check=True,
                       capture_output=True)
        self.process = subprocess.Popen([binary, "-db", "-f", str(self.config_path)],
                                        stdout=(self.root / "haproxy.log").open("wb"),
                                        stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        # The directory (config and log) stays, for a look afterwards.
