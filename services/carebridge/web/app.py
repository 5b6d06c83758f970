"""The one WSGI application every node serves (gunicorn loads ``carebridge.wsgi``)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.contracts import contract_path
from carebridge.integrator import facility_service
from carebridge.patients import service as patient_service
from carebridge.soap.app import ServiceEnv
from carebridge.soap.exceptions import RequestTooLarge
from carebridge.store.database import Database
from carebridge.store.models import ImportLog
from carebridge.web import status
from carebridge.web.drain import is_draining
from carebridge.web.limits import read_capped_body

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    "<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>{text}</faultstring>"
    "</soap:Fault></soap:Body></soap:Envelope>"
)
_XSD_NAME = re.compile(r"^[A-Za-z0-9_-]+\.xsd$")
_LOCATION = re.compile(rb'(<(?:\w+:)?address location=")[^"]*(")')


class CarebridgeApp:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings)
        env = ServiceEnv(self.db, settings)
        self.mounts: dict[str, Any] = {
            facility_service.MOUNT: facility_service.facility_wsgi(env),
            patient_service.MOUNT: patient_service.patient_wsgi(env),
        }
        for mount, service in self.mounts.items():
            service.event_manager.add_listener("wsdl", _address_rewriter(mount))
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()

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
                read_capped_body(environ, self.settings.max_request_bytes)
            except RequestTooLarge as exc:
                self._count(mount, "413")
                body = _FAULT.format(code="Client.RequestTooLarge", text=exc.message).encode()
                start_response("413 Request Entity Too Large",
                               [("Content-Type", "text/xml; charset=utf-8"),
                                ("Content-Length", str(len(body)))])
                return [body]

        def counting_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            self._count(mount, status.split(" ", 1)[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(
                status, headers)

        return service(environ, counting_start_response)

    def _count(self, mount: str, status: str) -> None:
        with self._lock:
            self._requests[(mount, status)] += 1

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        if is_draining():
            return _json(start_response, "503 Service Unavailable", {"status": "draining"})
        if not self.db.ping():
            return _json(start_response, "503 Service Unavailable", {"status": "database down"})
        return _json(start_response, "200 OK", {"status": "ok"})

    def _metrics(self, start_response: StartResponse) -> Iterable[bytes]:
        lines = ["# TYPE carebridge_requests_total counter"]
        with self._lock:
            for (mount, status), count in sorted(self._requests.items()):
                lines.append(f'carebridge_requests_total{{service="{mount}",status="{status}"}} '
                             f"{count}")
        lines.append("# TYPE carebridge_import_logs gauge")
        try:
            with self.db.transaction() as session:
                rows = session.execute(
                    select(ImportLog.status, func.count()).group_by(ImportLog.status)
                ).all()
            for status, count in sorted(rows):
                lines.append(f'carebridge_import_logs{{status="{status}"}} {count}')
            lines.append("carebridge_database_up 1")
        except Exception:
            lines.append("carebridge_database_up 0")
        return _plain(start_response, "200 OK", "\n".join(lines) + "\n",
                      "text/plain; version=0.0.4")


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


def _address_rewriter(mount: str) -> Callable[[Any], None]:
    """Spyne caches the WSDL with the first caller's URL; answer each with its own."""

    def rewrite(ctx: Any) -> None:
        env = ctx.transport.req_env
        scheme = env.get("wsgi.url_scheme", "http")
        host = env.get("HTTP_HOST") or f"{env.get('SERVER_NAME')}:{env.get('SERVER_PORT')}"
        url = f"{scheme}://{host}{env.get('SCRIPT_NAME', '')}".encode()
        url = url.replace(b"&", b"&amp;").replace(b'"', b"&quot;").replace(b"<", b"&lt;")
        ctx.transport.wsdl = _LOCATION.sub(lambda m: m.group(1) + url + m.group(2),
                                           ctx.transport.wsdl)
        ctx.transport.resp_headers["Content-Length"] = str(len(ctx.transport.wsdl))

    return rewrite


def _plain(start_response: StartResponse, status: str, text: str,
           content_type: str = "text/plain; charset=utf-8") -> Iterable[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    return _plain(start_response, status, json.dumps(payload), "application/json")


def create_app(settings: Settings | None = None) -> CarebridgeApp:
    return CarebridgeApp(settings or Settings.from_env())
