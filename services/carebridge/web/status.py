"""The Integrator Status page: the import log as HTML (``/status``) and JSON (``/status.json``).

Sign-in is HTTP Basic with a facility's name and password, checked against the
same scrypt hash FacilityService uses. A facility sees only its own rows; an
``is_admin`` facility sees every facility's and may filter by one. Three parts:
a plain query (:func:`import_log_page`), a renderer (:func:`render_html`) that
escapes every value (file names come from outside), and the WSGI handler
(:func:`serve`), whose replies are never cached and allow no script at all.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy.orm import Session

from carebridge.integrator import import_log
from carebridge.integrator.import_log import ImportLogEntry, record_count
from carebridge.store.credentials import check_password
from carebridge.store.database import Database
from carebridge.store.facilities import find_facility, list_facilities
from carebridge.store.models import ImportStatus

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

HTML_PATH = "/status"
JSON_PATH = "/status.json"
PATHS = (HTML_PATH, JSON_PATH)
REALM = "carebridge"
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
STATUSES = tuple(status.value for status in ImportStatus)

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2430;background:#fafbfc}
h1{font-size:1.4rem;margin:0 0 .25rem}
.who{margin:0 0 1rem;color:#566}
form{display:flex;gap:1rem;align-items:end;flex-wrap:wrap;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.8rem;color:#455}
select,input,button{font:inherit;padding:.25rem .4rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #dde2e8;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em}
td.file,td.reason{overflow-wrap:anywhere;min-width:10rem}
td.interval span,.status{white-space:nowrap}
code{font-size:.75rem;display:inline-block;max-width:16ch;overflow-wrap:anywhere}
.counts{font-size:.8rem;color:#455}
.status{font-weight:600;padding:.1rem .4rem;border-radius:.3rem;font-size:.8rem}
.status-COMPLETED{background:#e3f4e6;color:#1e6b2e}
.status-PROCESSING{background:#fff3d6;color:#7a5a00}
.status-ERROR{background:#fde4e4;color:#a11d1d}
.summary,nav{margin:.75rem 0;color:#566}
"""
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy",
     f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; "
     "base-uri 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]


@dataclass(frozen=True)
class Viewer:
    facility_id: int
    name: str
    is_admin: bool


@dataclass(frozen=True)
class Filters:
    facility: str | None = None
    status: str | None = None
    limit: int = DEFAULT_LIMIT
    before: int | None = None  # keyset paging: only rows with a smaller id

    def query(self, **changes: Any) -> str:
        """This filter as a query string, with ``changes`` applied (None drops a key)."""
        values = {"facility": self.facility, "status": self.status, "limit": self.limit,
                  "before": self.before} | changes
        if values["limit"] == DEFAULT_LIMIT:
            values["limit"] = None
        return urllib.parse.urlencode({k: v for k, v in values.items() if v is not None})


@dataclass(frozen=True)
class Page:
    rows: list[ImportLogEntry]
    next_before: int | None  # pass as ``before`` for the next (older) page; None: no more


# -- query ----------------------------------------------------------------------------


def import_log_page(session: Session, viewer: Viewer, filters: Filters) -> Page:
    """The import log newest first, scoped to what ``viewer`` may see."""
    found = import_log.newest_entries(
        session, filters.limit + 1,
        facility_id=None if viewer.is_admin else viewer.facility_id,
        facility_name=filters.facility if viewer.is_admin and filters.facility else None,
        status=filters.status, before=filters.before)
    rows = found[:filters.limit]
    return Page(rows, rows[-1].id if len(found) > filters.limit else None)


def parse_filters(query_string: str, viewer: Viewer) -> Filters:
    """The filters a request asks for; ValueError for values no form would send."""
    params = urllib.parse.parse_qs(query_string, keep_blank_values=True)

    def first(name: str) -> str | None:
        value = (params.get(name) or [""])[0].strip()
        return value or None

    status = first("status")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    limit = min(_positive_int(first("limit"), "limit") or DEFAULT_LIMIT, MAX_LIMIT)
    before = _positive_int(first("before"), "before")
    # A facility's own scope is not a filter it can lift: only admins choose one.
    facility = first("facility") if viewer.is_admin else viewer.name
    return Filters(facility, status, limit, before)


def _positive_int(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
        raise ValueError(f"{name} must be a positive whole number")
    return int(text)


# -- sign-in ----------------------------------------------------------------------------


def authenticate(session: Session, authorization: str | None) -> Viewer | None:
    """The facility an ``Authorization: Basic`` header names, if its password matches."""
    credentials = _basic_credentials(authorization)
    if credentials is None:
        return None
    name, password = credentials
    facility = find_facility(session, name)
    if facility is not None and not facility.enabled:
        facility = None
    # The same work for an unknown name as for a real check: no name probing by timing.
    matched = check_password(password, facility.password_hash if facility else None)
    if facility is None or not matched:
        why = "bad password for facility" if facility else "unknown or disabled facility"
        log.warning("status sign-in failed: %s %r", why, name)
        return None
    return Viewer(facility.id, facility.name, facility.is_admin)


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, password = decoded.partition(":")
    return (name, password) if colon and name else None


# -- rendering --------------------------------------------------------------------------


def render_json(viewer: Viewer, filters: Filters, page: Page) -> str:
    return json.dumps({
        "viewer": {"facility": viewer.name, "admin": viewer.is_admin},
        "filters": {"facility": filters.facility, "status": filters.status,
                    "limit": filters.limit, "before": filters.before},
        "rows": [row.as_json() for row in page.rows],
        "next": {"before": page.next_before} if page.next_before is not None else None,
    })


def render_html(viewer: Viewer, filters: Filters, page: Page, facilities: list[str]) -> str:
    """The whole page; every value from the database or the request goes through escape()."""
    role = " (admin: all facilities)" if viewer.is_admin else ""
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>carebridge · Integrator status</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Integrator status</h1>",
        f'<p class="who">Signed in as <b>{escape(viewer.name)}</b>{role}</p>',
        _render_form(viewer, filters, facilities),
        f'<p class="summary">{len(page.rows)} import log entries, newest first · '
        f'<a href="status.json?{escape(filters.query())}">JSON</a></p>',
        "<table><thead><tr><th>ID</th><th>Facility</th><th>File</th><th>Checksum</th>"
        "<th>Interval</th><th>Records</th><th>Status</th><th>Reason</th><th>Updated</th>"
        "</tr></thead><tbody>",
        *(_render_row(row) for row in page.rows),
        *([] if page.rows else ['<tr><td colspan="9">No import log entries match.</td></tr>']),
        "</tbody></table>",
    ]
    if page.next_before is not None:
        older = filters.query(before=page.next_before)
        body.append(f'<nav><a rel="next" href="status?{escape(older)}">Older entries</a></nav>')
    body.append("</body></html>")
    return "\n".join(body)


def _render_form(viewer: Viewer, filters: Filters, facilities: list[str]) -> str:
    fields = []
    if viewer.is_admin:
        fields.append(_select("facility", "Facility", "All facilities", facilities,
                              filters.facility))
    fields.append(_select("status", "Status", "Any status", STATUSES, filters.status))
    fields.append(f'<label>Rows<input type="number" name="limit" min="1" max="{MAX_LIMIT}" '
                  f'value="{filters.limit}"></label>')
    return (f'<form method="get" action="">{"".join(fields)}'
            '<button type="submit">Filter</button><a href="status">Reset</a></form>')


def _select(name: str, label: str, empty: str, choices: Iterable[str], chosen: str | None) -> str:
    options = [f'<option value="">{escape(empty)}</option>']
    for choice in choices:
        selected = " selected" if choice == chosen else ""
        options.append(f'<option value="{escape(choice)}"{selected}>{escape(choice)}</option>')
    return f'<label>{escape(label)}<select name="{name}">{"".join(options)}</select></label>'


def _render_row(row: ImportLogEntry) -> str:
    status_class = f"status-{row.status}" if row.status in STATUSES else "status-other"
    interval = (f"<span>{escape(_when(row.date_interval_start))} \N{EN DASH}</span> "
                f"<span>{escape(_when(row.date_interval_end))}</span>")
    cells = [
        f'<td class="id">{row.id}</td>',
        f'<td class="facility">{escape(row.facility or "—")}</td>',
        f'<td class="file">{escape(row.filename)}</td>',
        f'<td class="checksum"><code>{escape(row.checksum)}</code></td>',
        f'<td class="interval">{interval}</td>',
        f'<td class="counts">{escape(compact_counts(row.counts))}</td>',
        f'<td class="state"><span class="status {status_class}">{escape(row.status)}</span></td>',
        f'<td class="reason">{escape(row.reason or "")}</td>',
        f'<td class="updated">{escape(_when(row.last_updated))}</td>',
    ]
    return f'<tr id="log-{row.id}">{"".join(cells)}</tr>'


def compact_counts(counts: Mapping[str, int]) -> str:
    """``"223 records: CachedAppointment 3 · DemographicTransfer 220"``; deletions listed too."""
    if not counts:
        return "—"
    records = record_count(counts)
    detail = " · ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    return f"{records} record{'' if records == 1 else 's'}: {detail}"


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "—"


# -- WSGI -------------------------------------------------------------------------------


def serve(db: Database, environ: dict[str, Any], start_response: StartResponse
          ) -> Iterable[bytes]:
    """``GET /status`` (HTML) and ``GET /status.json``; anything else is 405."""
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return _reply(start_response, "405 Method Not Allowed", "text/plain; charset=utf-8",
                      "GET only\n", [("Allow", "GET, HEAD")])
    with db.transaction() as session:
        viewer = authenticate(session, environ.get("HTTP_AUTHORIZATION"))
        if viewer is None:
            return _reply(start_response, "401 Unauthorized", "text/plain; charset=utf-8",
                          "sign in with your facility name and password\n",
                          [("WWW-Authenticate", f'Basic realm="{REALM}"')])
        try:
            filters = parse_filters(environ.get("QUERY_STRING", ""), viewer)
        except ValueError as exc:
            return _reply(start_response, "400 Bad Request", "text/plain; charset=utf-8",
                          f"{exc}\n")
        page = import_log_page(session, viewer, filters)
        if environ.get("PATH_INFO") == JSON_PATH:
            return _reply(start_response, "200 OK", "application/json",
                          render_json(viewer, filters, page))
        names = [f.name for f in list_facilities(session)] if viewer.is_admin else []
    return _reply(start_response, "200 OK", "text/html; charset=utf-8",
                  render_html(viewer, filters, page, names))


def _reply(start_response: StartResponse, status: str, content_type: str, text: str,
           extra: list[tuple[str, str]] | None = None) -> Iterable[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                            *SECURITY_HEADERS, *(extra or [])])
    return [body]
