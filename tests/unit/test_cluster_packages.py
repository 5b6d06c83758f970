"""What the cluster tools do when PostgreSQL or HAProxy is missing."""

from __future__ import annotations

import pytest

from carebridge_lab.exceptions import ToolMissing
from carebridge_lab.haproxy import render_config
from carebridge_lab.packages import ensure_installed, missing_packages


def test_this_machine_has_both() -> None:
    assert missing_packages() == []


def test_missing_tools_are_named_as_packages() -> None:
    assert missing_packages(lambda: None, lambda: "/usr/sbin/haproxy") == ["postgresql"]
    assert missing_packages(lambda: "/x", lambda: None) == ["haproxy"]


def test_without_root_the_user_is_told_what_to_run() -> None:
    with pytest.raises(ToolMissing, match=r"sudo apt-get install .* postgresql haproxy"):
        ensure_installed(["postgresql", "haproxy"], is_root=False)


def test_nothing_missing_installs_nothing() -> None:
    said: list[str] = []
    ensure_installed([], is_root=False, say=said.append)
    assert said == []


def test_haproxy_config_retries_only_what_is_safe_to_resend() -> None:
    config = render_config("127.0.0.1:9000", [("a", "127.0.0.1:1"), ("b", "127.0.0.1:2")],
                           max_body_bytes=1000)
    assert "retry-on conn-failure empty-response\n" in config
    assert "option httpchk GET /health" in config and "option redispatch" in config
    assert "gt 1000 }" in config
    assert config.count(" check\n") == 2
