"""The Integrator Status page on a real gunicorn node: sign-in, scoping, filters, escaping,
and the page as headless Chromium (Debian's ``chromium``) renders it. Loopback only."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from lxml import html

from carebridge.store.facilities import add_facility
from carebridge.store.models import ImportLog
from tests.integration.conftest import T0, Stack
from tests.support.server import carebridge

ADMIN = ("registry", "secret-registry")
CLINIC_A = ("clinic-a", "secret-a")
CLINIC_B = ("clinic-b", "secret-b")
HOSTILE_FILE = "<script>alert('file')</script>IntegratorPush_2_x.zip"
HOSTILE_REASON = '<img src=x onerror="alert(1)"> DEPENDENCY_NOT_MET'
NOTES = {"DemographicTransfer": 3, "CachedDemographicNote": 12, "CachedAppointment": 4}

# (facility, filename, status, reason, counts); inserted in this order, so newest last.
ROWS = [
    ("clinic-a", "IntegratorPush_1_2024_03_01_09_00_00.zip", "COMPLETED", None, NOTES),
    ("clinic-b", "IntegratorPush_2_2024_03_01_10_00_00.zip", "COMPLETED", None, {"x": 1}),
    ("clinic-a", "IntegratorPush_1_2024_03_02_09_00_00.zip", "ERROR", "DEPENDENCY_NOT_MET", {}),
    ("clinic-b", HOSTILE_FILE, "ERROR", HOSTILE_REASON, {}),
    ("clinic-a", "IntegratorPush_1_2024_03_03_09_00_00.zip", "PROCESSING", None, {}),
]


def files_of(facility: str | None = None, status: str | None = None) -> list[str]:
    """The seeded file names a query should return, newest first."""
    return [name for fac, name, st, _, _ in reversed(ROWS)
            if facility in (None, fac) and status in (None, st)]


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> Stack:
    with stack.db.transaction() as session:
        add_facility(session, *ADMIN, is_admin=True)
        for day, (facility, filename, status, reason, counts) in enumerate(ROWS):
            start = T0 + dt.timedelta(days=day)
            session.add(ImportLog(
                facility_id=stack.ids[facility], filename=filename, checksum=f"{day:02x}" * 16,
                status=status, reason=reason, counts=counts, attempts=1,
                date_interval_start=start, date_interval_end=start + dt.timedelta(hours=6),
                date_created=start, last_updated=start + dt.timedelta(hours=7)))
    return stack


def get(stack: Stack, path: str, auth: tuple[str, str] | None = None,
        authorization: str | None = None) -> tuple[int, Any, bytes]:
    assert stack.node.url.startswith("http://127.0.0.1:")
    headers = {}
    if auth is not None:
        authorization = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(stack.node.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def status_json(stack: Stack, auth: tuple[str, str], **params: Any) -> dict[str, Any]:
    code, headers, body = get(stack, "/status.json?" + urllib.parse.urlencode(params), auth)
    assert code == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def filenames(payload: dict[str, Any]) -> list[str]:
    return [row["filename"] for row in payload["rows"]]


def cells(root: html.HtmlElement, name: str) -> list[str]:
    """The text of every ``<td class=name>`` under ``root`` (the page's rows, in order)."""
    return [td.text_content() for td in root.xpath(f".//td[@class='{name}']")]


# -- sign-in --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/status", "/status.json"])
@pytest.mark.parametrize("auth, authorization", [
    (None, None),
    (("clinic-a", "wrong-password-x9"), None),
    (("no-such-clinic", "secret-a"), None),
    (("clinic-a", ""), None),
    (None, "Basic not*base64"),
    (None, "Bearer abc"),
], ids=["missing", "wrong-password", "unknown-facility", "empty-password", "garbage", "bearer"])
def test_sign_in_is_required(seeded: Stack, path: str, auth: tuple[str, str] | None,
                             authorization: str | None) -> None:
    code, headers, body = get(seeded, path, auth, authorization)
    assert code == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="carebridge"'
    assert headers["Cache-Control"] == "no-store"
    assert b"IntegratorPush" not in body
    assert "wrong-password-x9" not in seeded.node.log_text()


def test_passwords_never_reach_the_log(seeded: Stack) -> None:
    get(seeded, "/status", ("clinic-b", "hunter2-not-it"))
    assert get(seeded, "/status", CLINIC_B)[0] == 200
    text = seeded.node.log_text()
    assert "bad password for facility 'clinic-b'" in text
    assert "hunter2-not-it" not in text and "secret-b" not in text


# -- scoping and filters --------------------------------------------------------------


def test_a_facility_sees_only_its_own_rows(seeded: Stack) -> None:
    payload = status_json(seeded, CLINIC_A)
    assert payload["viewer"] == {"facility": "clinic-a", "admin": False}
    assert filenames(payload) == files_of("clinic-a")
    assert {row["facility"] for row in payload["rows"]} == {"clinic-a"}
    # Asking for another facility does not lift the scope.
    assert filenames(status_json(seeded, CLINIC_A, facility="clinic-b")) == files_of("clinic-a")
    assert filenames(status_json(seeded, CLINIC_B)) == files_of("clinic-b")


def test_admin_sees_every_facility_and_filters_by_one(seeded: Stack) -> None:
    payload = status_json(seeded, ADMIN)
    assert payload["viewer"] == {"facility": "registry", "admin": True}
    assert filenames(payload) == files_of()
    assert filenames(status_json(seeded, ADMIN, facility="clinic-b")) == files_of("clinic-b")
    assert filenames(status_json(seeded, ADMIN, facility="clinic-a")) == files_of("clinic-a")
    assert filenames(status_json(seeded, ADMIN, facility="nobody")) == []


def test_status_filter(seeded: Stack) -> None:
    errors = status_json(seeded, CLINIC_A, status="ERROR")
    assert filenames(errors) == files_of("clinic-a", "ERROR")
    assert [row["reason"] for row in errors["rows"]] == ["DEPENDENCY_NOT_MET"]
    assert filenames(status_json(seeded, ADMIN, status="COMPLETED")) == files_of(None,
                                                                                 "COMPLETED")
    both = status_json(seeded, ADMIN, status="ERROR", facility="clinic-b")
    assert filenames(both) == [HOSTILE_FILE]
    assert get(seeded, "/status.json?status=DONE", ADMIN)[0] == 400


def test_rows_carry_checksum_interval_and_counts(seeded: Stack) -> None:
    (row,) = status_json(seeded, CLINIC_A, status="COMPLETED")["rows"]
    assert row["checksum"] == "00" * 16
    assert row["dateIntervalStart"] == "2024-03-01T09:00:00+00:00"
    assert row["dateIntervalEnd"] == "2024-03-01T15:00:00+00:00"
    assert row["counts"] == NOTES
    assert row["status"] == "COMPLETED" and row["reason"] is None


def test_limit_pages_newest_first(seeded: Stack) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        payload = status_json(seeded, ADMIN, **params)
        assert len(payload["rows"]) <= 2
        seen += filenames(payload)
        if payload["next"] is None:
            break
        params["before"] = payload["next"]["before"]
    assert seen == files_of()
    assert status_json(seeded, ADMIN)["filters"]["limit"] == 200
    assert status_json(seeded, ADMIN, limit=50_000)["filters"]["limit"] == 1000
    for bad in ("limit=0", "limit=-1", "limit=ten", "limit=%C2%B2", "before=9" + "9" * 30):
        assert get(seeded, f"/status.json?{bad}", ADMIN)[0] == 400


def test_cli_admin_flag(seeded: Stack) -> None:
    done = carebridge("facility", "add", "ops-desk", "--admin", "--password", "ops-pass",
                      settings=seeded.settings)
    assert done.returncode == 0, done.stderr
    assert "as admin" in done.stdout
    assert filenames(status_json(seeded, ("ops-desk", "ops-pass"))) == files_of()
    done = carebridge("facility", "add", "plain-clinic", "--password", "plain-pass",
                      settings=seeded.settings)
    assert done.returncode == 0, done.stderr
    assert filenames(status_json(seeded, ("plain-clinic", "plain-pass"))) == []


# -- the HTML page --------------------------------------------------------------------


def test_html_page_escapes_and_locks_down(seeded: Stack) -> None:
    code, headers, body = get(seeded, "/status?facility=clinic-b", ADMIN)
    assert code == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in csp
    page = body.decode()
    assert "&lt;script&gt;alert(&#x27;file&#x27;)&lt;/script&gt;IntegratorPush_2_x.zip" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<script" not in page and "<img" not in page
    doc = html.fromstring(body)
    assert cells(doc, "file") == files_of("clinic-b")
    assert doc.xpath("//option[@value='clinic-b']/@selected") != []


def test_html_page_of_a_facility_has_no_facility_chooser(seeded: Stack) -> None:
    code, _, body = get(seeded, "/status", CLINIC_A)
    assert code == 200
    doc = html.fromstring(body)
    assert doc.xpath("//select[@name='facility']") == []
    assert cells(doc, "file") == files_of("clinic-a")
    oldest = doc.xpath("//tbody/tr")[-1]
    assert cells(oldest, "checksum") == ["00" * 16]
    assert cells(oldest, "interval") == ["2024-03-01 09:00:00Z \N{EN DASH} 2024-03-01 15:00:00Z"]
    (counts,) = cells(oldest, "counts")
    assert counts.startswith("19 records:") and "CachedDemographicNote 12" in counts


# -- headless Chromium ----------------------------------------------------------------


def chromium(stack: Stack, profile: Path, auth: tuple[str, str], path: str,
             *mode: str) -> subprocess.CompletedProcess[bytes]:
    """One headless Chromium run against the node, with every background fetch turned off."""
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is required (tests/system-deps.sh installs it)"
    user, password = (urllib.parse.quote(part, safe="") for part in auth)
    url = f"http://{user}:{password}@127.0.0.1:{stack.node.port}{path}"
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps", "--disable-extensions",
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
         f"--user-data-dir={profile}", *mode, url],
        capture_output=True, timeout=120, check=True)


def rendered_rows(stack: Stack, tmp_path: Path, path: str) -> list[html.HtmlElement]:
    dom = chromium(stack, tmp_path / "profile", ADMIN, path, "--dump-dom").stdout
    doc = html.fromstring(dom)
    assert doc.xpath("//script") == [] and doc.xpath("//img") == []
    (table,) = doc.xpath("//table")
    return table.xpath("tbody/tr")


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_chromium_renders_the_page_and_the_filter(seeded: Stack, tmp_path: Path) -> None:
    rows = rendered_rows(seeded, tmp_path, "/status")
    assert [cells(r, "file") for r in rows] == [[name] for name in files_of()]
    assert [HOSTILE_FILE] in [cells(r, "file") for r in rows]

    rows = rendered_rows(seeded, tmp_path, "/status?facility=clinic-b&status=ERROR")
    assert [cells(r, "facility") + cells(r, "state") + cells(r, "reason") for r in rows] == [
        ["clinic-b", "ERROR", HOSTILE_REASON]]


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_chromium_screenshot(seeded: Stack, tmp_path: Path) -> None:
    shot = tmp_path / "status-page.png"
    chromium(seeded, tmp_path / "profile", ADMIN, "/status", f"--screenshot={shot}",
             "--window-size=1280,900")
    print(f"status page screenshot: {shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 900)
