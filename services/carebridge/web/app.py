"""The one WSGI application every node serves (built by ``carebridge.bootstrap``)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from carebridge.config import Settings
from carebridge.contracts import contract_path
from carebridge.integrator import import_log
from carebridge.soap.app import ServiceEnv
from carebridge.soap.exceptions import RequestRejected
from carebridge.soap.faults import fault_document
from carebridge.soap.services import patients as patient_service
from carebridge.soap.services.caisi import integrator_mounts
from carebridge.store.database import Database
from carebridge.web import metrics, status
from carebridge.web.compression import gzip_replies
from carebridge.web.drain import is_draining
from carebridge.web.limits import read_capped_body, require_xml
from carebridge.web.public_url import base_url

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

_XSD_NAME = re.compile(r"^[A-Za-z0-9_-]+\.xsd$")
_LOCATION = re.compile(rb'(<(?:\w+:)?address location=")[^"]*(")')


class CarebridgeApp:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings)
        env = ServiceEnv(self.db, settings)
        self.mounts: dict[str, Any] = {
            **integrator_mounts(env),
            patient_service.MOUNT: patient_service.patient_wsgi(env),
        }
        rewrite = _address_rewriter(settings.server.public_base_url)
        for service in self.mounts.values():
            service.event_manager.add_listener("wsdl", rewrite)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == "/health":
            return self._health(start_response)
        if path == "/metrics":
            return self._metrics(start_response)
        if path.startswith("/xsd/"):
            return _schema_file(path[len("/xsd/"):], start_response)
        if path in status.PATHS:
            return status.serve(self.db, environ, start_response)
        for mount, service in self.mounts.items():
            if path == mount or path.startswith(mount + "/"):
                return self._service(mount, service, environ, start_response)
        return _plain(start_response, "404 Not Found", "not found\n")

    def _service(self, mount: str, service: Any, environ: dict[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
        environ = dict(environ)  # the server's access log still wants the original path
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + mount
        environ["PATH_INFO"] = environ["PATH_INFO"][len(mount):]
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                read_capped_body(environ, self.settings.server.max_request_bytes,
                                 self.settings.limits.max_compression_ratio)
                require_xml(environ)
            except RequestRejected as exc:
                metrics.count_request(mount, str(exc.http_status))
                return _refusal(exc, start_response)

        def counting_start_response(status: str, headers: list[tuple[str, str]],
                                    exc_info: Any = None) -> Any:
            metrics.count_request(mount, status.split(" ", 1)[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(
                status, headers)

        return gzip_replies(service, environ, counting_start_response)

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        if is_draining():
            return _json(start_response, "503 Service Unavailable", {"status": "draining"})
        if not self.db.ping():
            return _json(start_response, "503 Service Unavailable", {"status": "database down"})
        return _json(start_response, "200 OK", {"status": "ok"})

    def _metrics(self, start_response: StartResponse) -> Iterable[bytes]:
        """The node's request counters (every worker's) and the import log by status."""
        return _plain(start_response, "200 OK", metrics.render(self._database_gauges),
                      metrics.CONTENT_TYPE)

    def _database_gauges(self) -> list[Any]:
        try:
            with self.db.transaction() as session:
                counts: dict[str, int] | None = import_log.count_by_status(session)
        except Exception:
            counts = None
        found = [] if counts is None else [metrics.gauge(
            "carebridge_import_logs", "Import log entries by status",
            {(status,): count for status, count in counts.items()}, ("status",))]
        return [*found, metrics.gauge("carebridge_database_up", "1 when the database answers",
                                      {(): int(counts is not None)})]


def _refusal(error: RequestRejected, start_response: StartResponse) -> Iterable[bytes]:
    """A request refused before any service read it: a SOAP Client fault, with the HTTP
    status that says why (413 too large, 415 not XML or an unknown coding, 400 undecodable)."""
    status_line = f"{error.http_status} {HTTPStatus(error.http_status).phrase}"
    return _plain(start_response, status_line, fault_document(error), "text/xml; charset=utf-8")


def _schema_file(name: str, start_response: StartResponse) -> Iterable[bytes]:
    """The XSDs the WSDLs import (``../xsd/NAME`` relative to a service URL)."""
    if not _XSD_NAME.match(name):
        return _plain(start_response, "404 Not Found", "not found\n")
    try:
        body = contract_path("xsd", name).read_bytes()
    except FileNotFoundError:
        return _plain(start_response, "404 Not Found", "not found\n")
    start_response("200 OK", [("Content-Type", "application/xml"),
                              ("Content-Length", str(len(body)))])
    return [body]


def _address_rewriter(public_base_url: str) -> Callable[[Any], None]:
    """Spyne caches the WSDL with the first caller's URL; answer each with its own (the
    node's public address: ``web.public_url``)."""

    def rewrite(ctx: Any) -> None:
        env = ctx.transport.req_env
        url = (base_url(env, public_base_url) + env.get("SCRIPT_NAME", "")).encode()
        url = url.replace(b"&", b"&amp;").replace(b'"', b"&quot;").replace(b"<", b"&lt;")
        ctx.transport.wsdl = _LOCATION.sub(lambda m: m.group(1) + url + m.group(2),
                                           ctx.transport.wsdl)
        ctx.transport.resp_headers["Content-Length"] = str(len(ctx.transport.wsdl))

    return rewrite


def _plain(start_response: StartResponse, status: str, text: str | bytes,
           content_type: str = "text/plain; charset=utf-8") -> Iterable[bytes]:
    body = text.encode("utf-8") if isinstance(text, str) else text
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    return _plain(start_response, status, json.dumps(payload), "application/json")
