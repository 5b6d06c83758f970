"""The address a node is reached at from outside, for the ``soap:address`` of its WSDLs.

Behind a TLS-terminating balancer the node sees plain HTTP from the balancer, yet OSCAR
must be told ``https://<public host>/...``. In order: the configured public base URL;
else the balancer's ``X-Forwarded-Proto``/``X-Forwarded-Host`` (the first value of each,
only when well formed: a header cannot inject markup or a path); else the request's own
scheme and Host. A client that forges the headers only changes the WSDL it is itself given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
                   r"|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_SCHEMES = ("http", "https")


def base_url(environ: Mapping[str, Any], configured: str = "") -> str:
    """``scheme://host[:port]`` (or the configured base, without a trailing slash)."""
    if configured:
        return configured.rstrip("/")
    scheme = _first(environ.get("HTTP_X_FORWARDED_PROTO")).lower()
    if scheme not in _SCHEMES:
        scheme = environ.get("wsgi.url_scheme", "http")
    host = _first(environ.get("HTTP_X_FORWARDED_HOST"))
    if not _HOST.match(host):
        host = environ.get("HTTP_HOST") or ""
        if not _HOST.match(host):
            host = f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{scheme}://{host}"


def _first(header: str | None) -> str:
    """A proxy chain appends (``a, b``): the first is what the outermost one was asked for."""
    return (header or "").split(",", 1)[0].strip()
