"""A whole cluster on 127.0.0.1: throwaway PostgreSQL, N nodes, HAProxy in front (HTTP, and
MLLP in TCP mode with PROXY v2 headers: each node takes them from the balancer only)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from carebridge.config import Settings
from carebridge.store.migrate import upgrade
from carebridge_lab.haproxy import HAProxy, render_config
from carebridge_lab.net import free_port, wait_http_ok
from carebridge_lab.node import Node
from carebridge_lab.postgres import PostgresServer

# HAProxy's address towards the nodes: the one source whose PROXY headers they believe.
BALANCER_ADDRESS = "127.0.0.1"


class LocalCluster:
    def __init__(self, nodes: int = 3, *, port: int | None = None, workers: int = 2,
                 root: Path | None = None, settings: dict[str, Any] | None = None,
                 importers: bool = False) -> None:
        self.size = nodes
        self.port = port or free_port()
        self.mllp_port = free_port()
        self.workers = workers
        self.importers = importers  # every node runs the importer loop; the lease picks one
        self.root = root or Path(tempfile.mkdtemp(prefix="carebridge-cluster-"))
        self.overrides = dict(settings or {})
        self.postgres: PostgresServer | None = None
        self.nodes: list[Node] = []
        self.haproxy: HAProxy | None = None
        self.settings: Settings | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalCluster:
        self.postgres = PostgresServer().start()
        url = self.postgres.create_database("carebridge")
        values = {"database_url": url, "incoming_dir": self.root / "incoming",
                  "archive_dir": self.root / "archive", "work_dir": self.root / "work",
                  "secret_key": "cluster-shared-secret", "drain_seconds": 2,
                  "los_alert_file": self.root / "los-alerts.jsonl",
                  "mllp_proxy_from": BALANCER_ADDRESS}
        values.update(self.overrides)
        self.settings = Settings.build(values)
        for folder in ("incoming", "archive", "work"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        upgrade(url)
        for number in range(self.size):
            node = Node(self.settings, workers=self.workers, importer=self.importers,
                        log_dir=self.root / f"node{number + 1}", mllp=True).start()
            self.nodes.append(node)
        config = render_config(f"127.0.0.1:{self.port}",
                               [(f"node{i + 1}", f"127.0.0.1:{n.port}")
                                for i, n in enumerate(self.nodes)],
                               max_body_bytes=self.settings.server.max_request_bytes,
                               mllp_bind=f"127.0.0.1:{self.mllp_port}",
                               mllp_servers=[(f"node{i + 1}", f"127.0.0.1:{n.mllp_port}", n.port)
                                             for i, n in enumerate(self.nodes)])
        self.haproxy = HAProxy(config, self.root / "haproxy").start()
        wait_http_ok(self.url + "/health", timeout=30)
        return self

    def stop(self) -> None:
        if self.haproxy:
            self.haproxy.stop()
        for node in self.nodes:
            node.stop()
        if self.postgres:
            self.postgres.stop()
