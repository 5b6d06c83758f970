"""What OSCAR's CXF client relies on at the wire, on a real node: the WSDL advertises the
public address (behind a TLS-terminating balancer too), and a client that accepts gzip gets
gzipped replies that decode to the very same reply."""

from __future__ import annotations

import gzip
import re
import urllib.request

import pytest

from carebridge.store.migrate import upgrade
from carebridge_lab.haproxy import HAProxy, render_config
from carebridge_lab.net import free_port, wait_http_ok
from tests.conftest import make_settings
from tests.support.server import Node

WSDL = "/caisi_integrator/ws/FacilityService?wsdl"
ADDRESS = re.compile(rb'address location="([^"]*)"')


def fetch(url: str, **headers: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(response.headers.items()), response.read()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Node]:
    started = {}
    for name, base in (("plain", ""), ("configured", "https://cb.example.org")):
        root = tmp_path_factory.mktemp(name)
        settings = make_settings(root, f"sqlite:///{root}/carebridge.sqlite",
                                 public_base_url=base)
        upgrade(settings.database_url)
        started[name] = Node(settings, workers=1).start()
    yield started
    for node in started.values():
        node.stop()


def address(body: bytes) -> str:
    found = ADDRESS.findall(body)
    assert found, body[:200]
    return found[0].decode()


def test_the_wsdl_advertises_the_address_the_client_used(nodes: dict[str, Node]) -> None:
    node = nodes["plain"]
    _, body = fetch(node.url + WSDL)
    assert address(body) == node.url + "/caisi_integrator/ws/FacilityService"


def test_behind_a_tls_balancer_the_wsdl_says_https(nodes: dict[str, Node]) -> None:
    _, body = fetch(nodes["plain"].url + WSDL, **{"X-Forwarded-Proto": "https",
                                                  "X-Forwarded-Host": "integrator.example.org"})
    assert address(body) == "https://integrator.example.org/caisi_integrator/ws/FacilityService"
    _, body = fetch(nodes["plain"].url + WSDL, **{"X-Forwarded-Host": 'x.org"/><evil'})
    assert address(body) == nodes["plain"].url + "/caisi_integrator/ws/FacilityService"


def test_through_haproxy_the_balancer_not_the_client_says_the_scheme(
        nodes: dict[str, Node], tmp_path_factory: pytest.TempPathFactory) -> None:
    node = nodes["plain"]
    port = free_port()
    proxy = HAProxy(render_config(f"127.0.0.1:{port}", [("n1", node.url.split("//", 1)[1])]),
                    tmp_path_factory.mktemp("haproxy")).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health", timeout=15)
        _, body = fetch(f"http://127.0.0.1:{port}" + WSDL,
                        **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "forged.org"})
        assert address(body) == f"http://127.0.0.1:{port}/caisi_integrator/ws/FacilityService"
    finally:
        proxy.stop()


def test_a_configured_public_base_url_wins(nodes: dict[str, Node]) -> None:
    _, body = fetch(nodes["configured"].url + WSDL, **{"X-Forwarded-Host": "other.org"})
    assert address(body) == "https://cb.example.org/caisi_integrator/ws/FacilityService"


def test_a_client_that_accepts_gzip_gets_the_same_reply_gzipped(nodes: dict[str, Node]) -> None:
    url = nodes["plain"].url + WSDL
    plain_headers, plain = fetch(url)
    headers, body = fetch(url, **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain_headers
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert int(headers["Content-Length"]) == len(body) < len(plain)
    assert gzip.decompress(body) == plain
    _, refused = fetch(url, **{"Accept-Encoding": "gzip;q=0"})
    assert refused == plain


def test_small_replies_and_other_paths_are_left_alone(nodes: dict[str, Node]) -> None:
    headers, body = fetch(nodes["plain"].url + "/health", **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers and body.startswith(b"{")
