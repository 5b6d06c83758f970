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
                  max_body_bytes: int = 4 * 1024 * 1024, check_interval_ms: int = 1000,
                  mllp_bind: str | None = None,
                  mllp_servers: Sequence[tuple[str, str, int]] = ()) -> str:
    """``servers``: (name, "host:port") pairs; ``mllp_servers``: (name, "host:mllp port",
    http port) for the MLLP frontend on ``mllp_bind``."""
    lines = [
        "global",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout queue 10s",
        "    retries 3",
        "    option redispatch 1",
        "",
        "frontend carebridge",
        f"    bind {bind}",
        # The whole request (headers and the body, up to a buffer) within 5 s, before a
        # node sees any of it: a slow or stuck client ties up HAProxy, not a node.
        "    option http-buffer-request",
        "    timeout http-request 5s",
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
        "    retry-on conn-failure empty-response",
        "    option httpchk GET /health",
        "    http-check expect status 200",
        f"    default-server inter {check_interval_ms}ms fall 2 rise 2 init-addr libc,none",
    ]
    lines += [f"    server {name} {address} check" for name, address in servers]
    if mllp_bind is not None:
        lines += _mllp_lines(mllp_bind, mllp_servers, check_interval_ms)
    return "\n".join(lines) + "\n"


def _mllp_lines(bind: str, servers: Sequence[tuple[str, str, int]], check_interval_ms: int
                ) -> list[str]:
    """MLLP: TCP, persistent connections spread by count (leastconn), each node checked on
    its HTTP /health (a draining node leaves before it closes its connections), the real
    peer passed in a PROXY v2 header (the node knows senders by their address)."""
    lines = [
        "",
        "frontend mllp",
        "    mode tcp",
        f"    bind {bind}",
        # Feeds keep one connection open for hours, mostly idle.
        "    timeout client 1h",
        "    default_backend mllp_nodes",
        "",
        "backend mllp_nodes",
        "    mode tcp",
        "    balance leastconn",
        "    timeout server 1h",
        "    option httpchk GET /health",
        "    http-check expect status 200",
        f"    default-server inter {check_interval_ms}ms fall 2 rise 2 init-addr libc,none "
        "on-marked-down shutdown-sessions",
    ]
    lines += [f"    server {name} {address} check port {http_port} send-proxy-v2"
              for name, address, http_port in servers]
    return lines


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
