"""The address a WSDL advertises, and when a reply is gzipped."""

from __future__ import annotations

import pytest

from carebridge.web.compression import accepts_gzip
from carebridge.web.public_url import base_url

NODE = {"wsgi.url_scheme": "http", "HTTP_HOST": "10.0.0.5:8080", "SERVER_NAME": "node1",
        "SERVER_PORT": "8080"}


def test_the_request_itself_without_a_balancer() -> None:
    assert base_url(NODE) == "http://10.0.0.5:8080"
    assert base_url({**NODE, "HTTP_HOST": ""}) == "http://node1:8080"


def test_the_balancer_says_what_the_client_asked_for() -> None:
    behind = {**NODE, "HTTP_X_FORWARDED_PROTO": "https",
              "HTTP_X_FORWARDED_HOST": "integrator.example.org, haproxy.internal"}
    assert base_url(behind) == "https://integrator.example.org"
    assert base_url({**behind, "HTTP_X_FORWARDED_HOST": "[2001:db8::1]:8443"}) == \
        "https://[2001:db8::1]:8443"


@pytest.mark.parametrize("host", ['evil.org"><x', "a.org/path", "a.org:99999999", "-a.org",
                                  "a b.org", ""])
def test_a_malformed_forwarded_host_is_not_used(host: str) -> None:
    assert base_url({**NODE, "HTTP_X_FORWARDED_HOST": host}) == "http://10.0.0.5:8080"


def test_an_unknown_forwarded_scheme_is_not_used() -> None:
    assert base_url({**NODE, "HTTP_X_FORWARDED_PROTO": "javascript"}) == "http://10.0.0.5:8080"


def test_the_configured_base_wins() -> None:
    behind = {**NODE, "HTTP_X_FORWARDED_PROTO": "http", "HTTP_X_FORWARDED_HOST": "x.org"}
    assert base_url(behind, "https://cb.example.org/") == "https://cb.example.org"


@pytest.mark.parametrize(("header", "gzip"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("x-gzip", True), ("*", True),
    ("gzip;q=0", False), ("identity", False), ("", False), ("gzip;q=bad", False),
])
def test_accept_encoding(header: str, gzip: bool) -> None:
    assert accepts_gzip({"HTTP_ACCEPT_ENCODING": header}) is gzip
