"""``carebridge hl7 ...``: the HL7 engine from the command line (no database needed).

Every command reads what any other writes: a file of ER7 messages (one, many, a
batch or MLLP frames) or a stream of v2.xml documents (``to-xml`` writes one per
line), and handles every message in it, numbered from 1 in what it reports.
"""

from __future__ import annotations

import codecs
import datetime as dt
import sys
import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import click
from lxml import etree

from carebridge.hl7 import er7, framing, v2xml, xmlstream
from carebridge.hl7.ack import AckError, Outcome, ack_code, build_ack
from carebridge.hl7.exceptions import EncodingError, HL7Error, ParseError

if TYPE_CHECKING:
    from carebridge.hl7.validate import Issue


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {source}: {exc.strerror}") from None


def _er7_messages(data: bytes) -> list[bytes]:
    """Messages of an ER7 file: one, many, a batch, or MLLP frames."""
    if data.lstrip(b" \t\r\n")[:1] == framing.START_BLOCK:  # 0x0B is whitespace to lstrip()
        return framing.unframe(data)
    return framing.split_messages(data)


def _fail(error: HL7Error, entry: _Entry | None = None) -> click.ClickException:
    where = f"{entry.label}: " if entry is not None else ""
    return click.ClickException(f"{where}{error} (HL7 error {error.code})")


def _with_hint(error: HL7Error, charset: str | None) -> HL7Error:
    """An undecodable message without MSH-18 and without --charset: say what would help."""
    if isinstance(error, EncodingError) and error.undeclared and charset is None:
        return EncodingError(f"{error.reason} (try --charset cp1252)", error.location,
                             error.code, undeclared=True)
    return error


@dataclass(frozen=True)
class _Entry:
    """One message of an input: what it parsed to, or why it did not."""

    number: int
    message: er7.Message | None = None
    element: etree._Element | None = None  # the v2.xml document it was read from
    error: HL7Error | None = None

    @property
    def label(self) -> str:
        control_id = self.message.control_id if self.message is not None else ""
        return f"message {self.number}" + (f" ({control_id})" if control_id else "")

    def parsed(self) -> er7.Message:
        """The message, or the HL7Error that kept it from being read."""
        if self.message is None:
            assert self.error is not None
            raise self.error
        return self.message

    def document(self) -> etree._Element:
        """Its v2.xml form (converting an ER7 message may raise HL7Error)."""
        if self.element is not None:
            return self.element
        return v2xml.parse_xml(v2xml.to_xml(self.parsed()))


def _entries(data: bytes, charset: str | None = None) -> list[_Entry]:
    """Every message of ``data``, ER7 or v2.xml; HL7Error when the stream cannot be split.

    ER7 bytes are read in MSH-18's character set, else UTF-8, else ``charset``.
    """
    entries = []
    if xmlstream.is_xml(data):
        for number, piece in enumerate(xmlstream.split_documents(data), 1):
            try:
                root = v2xml.parse_xml(piece)
                entries.append(_Entry(number, v2xml.from_xml(root), root))
            except HL7Error as exc:
                entries.append(_Entry(number, error=exc))
    else:
        for number, raw in enumerate(_er7_messages(data), 1):
            try:
                entries.append(_Entry(number, er7.parse(raw, fallback_charset=charset)))
            except HL7Error as exc:
                entries.append(_Entry(number, error=_with_hint(exc, charset)))
    if not entries:
        raise ParseError("no HL7 message found")
    return entries


def _read_entries(source: str, charset: str | None) -> list[_Entry]:
    try:
        return _entries(_read(source), charset)
    except HL7Error as exc:
        raise _fail(exc) from None


def _codec(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(f"no character set {value!r} (e.g. cp1252, latin-1)"
                                     ) from None
    return value


_charset_option = click.option(
    "--charset", default=None, callback=_codec, metavar="CODEC",
    help="Fallback character set (e.g. cp1252) for ER7 messages whose MSH-18 names none "
    "and whose bytes are not UTF-8.")


@click.group("hl7")
def hl7() -> None:
    """Convert, validate and acknowledge HL7 v2 messages; generate ADT test messages."""


@hl7.command("to-xml")
@click.argument("source", default="-")
@_charset_option
def to_xml(source: str, charset: str | None) -> None:
    """ER7 (file of messages, batch or MLLP stream) to HL7 v2.xml, one document per line."""
    for entry in _read_entries(source, charset):
        try:
            sys.stdout.buffer.write(v2xml.to_xml(entry.parsed()) + b"\n")
        except HL7Error as exc:
            raise _fail(exc, entry) from None


@hl7.command("to-er7")
@click.argument("source", default="-")
@_charset_option
def to_er7(source: str, charset: str | None) -> None:
    """HL7 v2.xml (one document or a stream of them) to ER7: segments end with \\r,
    messages with \\r\\n."""
    for entry in _read_entries(source, charset):
        try:
            message = entry.parsed()
        except HL7Error as exc:
            raise _fail(exc, entry) from None
        sys.stdout.buffer.write(message.to_er7().encode("utf-8") + b"\n")


# The schemas a message can be checked against (the others in xsd/ are included parts
# or carebridge's own record formats).
_MESSAGE_SCHEMAS = ("ADT_", "hl7v2-any")


def _schema_names() -> list[str]:
    folder = files("carebridge.hl7") / "xsd"
    return sorted(entry.name.removesuffix(".xsd") for entry in folder.iterdir()
                  if entry.name.endswith(".xsd") and entry.name.startswith(_MESSAGE_SCHEMAS))


def _schema_option(_ctx: click.Context, _param: click.Parameter, value: str | None
                   ) -> str | None:
    if value is None:
        return None
    names = _schema_names()
    if value.removesuffix(".xsd") not in names:
        raise click.BadParameter(f"no schema {value!r}; the schemas are: {', '.join(names)}")
    return value.removesuffix(".xsd")


def _validate(entry: _Entry, schema: str | None) -> tuple[str, list[Issue]]:
    """The schema ``entry`` was checked against and its issues; HL7Error if it is unreadable."""
    from carebridge.hl7 import validate

    name = schema or validate.schema_for(entry.parsed())
    return name, validate.validate(entry.document(), name)


@hl7.command("validate")
@click.argument("source")
@click.option("--schema", default=None, callback=_schema_option,
              help="Schema name (ADT_A01, ADT_A03, ADT_A04, hl7v2-any); default: each "
              "message's own structure, else hl7v2-any.")
@_charset_option
def validate_command(source: str, schema: str | None, charset: str | None) -> None:
    """Validate every message (ER7 or v2.xml) against an XSD; exit 1 if any is invalid.

    One line per valid message on stdout; each problem of the others, located, on stderr.
    """
    invalid = 0
    entries = _read_entries(source, charset)
    for entry in entries:
        try:
            name, issues = _validate(entry, schema)
        except HL7Error as exc:
            click.echo(f"{entry.label}: {exc} (HL7 error {exc.code})", err=True)
            invalid += 1
            continue
        for issue in issues:
            click.echo(f"{entry.label}: {issue.location}: {issue.message} "
                       f"(HL7 error {issue.code})", err=True)
        if issues:
            invalid += 1
        else:
            click.echo(f"{entry.label}: valid against {name}")
    if len(entries) > 1:
        click.echo(f"{len(entries)} messages, {invalid} invalid", err=True)
    if invalid:
        sys.exit(1)


@hl7.command("ack")
@click.argument("source")
@click.option("--code", type=click.Choice(["AA", "AE", "AR", "CA", "CE", "CR"]),
              help="Force MSA-1; by default it follows parsing and validation.")
@click.option("--text", default=None, help="MSA-3 text.")
@click.option("--xml", "as_xml", is_flag=True, help="Write the ACKs as v2.xml.")
@_charset_option
def ack(source: str, code: str | None, text: str | None, as_xml: bool, charset: str | None
        ) -> None:
    """The acknowledgment a receiver would send for each message of SOURCE.

    The ACKs go to stdout (ER7, or one v2.xml document per line), one line per message
    saying its MSA-1 to stderr. Input that holds no message at all gets one AR.
    """
    try:
        entries = _entries(_read(source), charset)
    except HL7Error as exc:
        entries = [_Entry(1, error=exc)]
    for entry in entries:
        try:
            _, issues = _validate(entry, None)
            errors = [AckError(i.code, i.location, i.message) for i in issues]
            outcome = Outcome.ERROR if errors else Outcome.ACCEPTED
        except HL7Error as exc:
            errors = [AckError.from_exception(exc)]
            outcome = Outcome.REJECTED
        reply = build_ack(entry.message, code or ack_code(entry.message, outcome),
                          control_id=uuid.uuid4().hex[:20].upper(), text=text, errors=errors,
                          now=dt.datetime.now(dt.UTC))
        if as_xml:
            sys.stdout.buffer.write(v2xml.to_xml(reply) + b"\n")
        else:
            sys.stdout.buffer.write(reply.to_er7().encode(reply.charset) + b"\n")
        count = f", {len(errors)} error(s)" if errors else ""
        click.echo(f"{entry.label}: {reply.get('MSA-1')}{count}", err=True)


@hl7.command("make-adt")
@click.argument("records")
@click.option("-o", "--output", default="-", help="Output file (default stdout).")
@click.option("--sending-app", default="CAREBRIDGE", show_default=True)
@click.option("--sending-facility", default="CAREBRIDGE", show_default=True)
@click.option("--control-id-prefix", default=None,
              help="Prefix of MSH-10 (default: derived from the input, so reruns match).")
@click.option("--strict", is_flag=True, help="Fail on the first bad record.")
def make_adt(records: str, output: str, sending_app: str, sending_facility: str,
             control_id_prefix: str | None, strict: bool) -> None:
    """Patient record file (pipe-delimited, header line) to HL7 v2.3.1 ADT messages."""
    from carebridge.hl7.make_adt import generate

    try:
        text = _read(records).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{records} is not UTF-8 (byte {exc.start})") from None
    result = generate(text, sending_app=sending_app, sending_facility=sending_facility,
                      control_id_prefix=control_id_prefix)
    if result.header_rejected:
        raise click.ClickException(f"{records}: {result.problems[0]}")
    for problem in result.problems:
        click.echo(f"{records}: {problem}", err=True)
    if strict and result.problems:
        sys.exit(1)
    data = "".join(result.messages).encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(output).write_bytes(data)
    click.echo(f"{len(result.messages)} message(s), {len(result.problems)} record(s) skipped",
               err=True)


@hl7.command("send")
@click.argument("source", default="-")
@click.option("--url", default=None, help="Service URL, e.g. http://host:8080/services/"
              "PatientSubmission")
@click.option("--mllp", "mllp_address", default=None, metavar="HOST:PORT",
              help="Send over MLLP instead of SOAP.")
@click.option("--user", default=None, help="Facility name (WS-Security username; SOAP only).")
@click.option("--password", default=None, help="SOAP only.")
@click.option("--xml", "as_xml", is_flag=True, help="Submit as HL7 v2.xml (submitMessageXml).")
@click.option("--timeout", default=30.0, show_default=True)
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0))
@_charset_option
def send(source: str, url: str | None, mllp_address: str | None, user: str | None,
         password: str | None, as_xml: bool, timeout: float, retries: int,
         charset: str | None) -> None:
    """Submit every message of SOURCE (ER7 or v2.xml) over SOAP (--url) or MLLP (--mllp);
    one line per ACK; exit 1 unless all are AA (or CA).

    A message whose call times out, fails to connect or whose reply breaks on the way
    is sent again as it is: the service keys messages by MSH-3/MSH-4/MSH-10, so a
    resend never counts twice.
    """
    if (url is None) == (mllp_address is None):
        raise click.UsageError("give one of --url (SOAP) or --mllp HOST:PORT")
    entries = _read_entries(source, charset)
    if mllp_address is not None:
        failures = _send_mllp(entries, mllp_address, as_xml, timeout, retries)
    else:
        if user is None or password is None:
            raise click.UsageError("SOAP needs --user and --password")
        failures = _send_soap(entries, url or "", user, password, as_xml, timeout, retries)
    if failures:
        sys.exit(1)


def _send_soap(entries: list[_Entry], url: str, user: str, password: str, as_xml: bool,
               timeout: float, retries: int) -> int:
    from carebridge.contracts import PATIENT_SUBMISSION
    from carebridge.soap.client import ServiceClient
    from carebridge.soap.exceptions import ClientError

    client = ServiceClient(PATIENT_SUBMISSION, url, user, password, timeout=timeout,
                           retries=retries)
    failures = 0
    for entry in entries:
        try:
            if as_xml:
                reply = client.call("submitMessageXml", {"_value_1": entry.document()})
            else:
                reply = client.call("submitMessage", entry.parsed().to_er7())
        except HL7Error as exc:
            failures += 1
            click.echo(f"- not sent: {entry.label}: {exc}", err=True)
            continue
        except ClientError as exc:
            raise click.ClickException(str(exc)) from None
        if reply.ackCode != "AA":
            failures += 1
        detail = f" {reply.text}" if reply.text else ""
        click.echo(f"{reply.messageControlId} {reply.ackCode}{detail}")
        for error in reply.errors or []:
            click.echo(f"  {error}")
    return failures


def _send_mllp(entries: list[_Entry], address: str, as_xml: bool, timeout: float,
               retries: int) -> int:
    from carebridge.mllp.client import MllpClient, NoAcknowledgment
    from carebridge.mllp.exceptions import ListenerConfigError
    from carebridge.mllp.node import split_bind

    try:
        host, port = split_bind(address)
    except ListenerConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--mllp") from None
    failures = 0
    with MllpClient(host, port, timeout=timeout, retries=retries) as client:
        for entry in entries:
            try:
                message = entry.parsed()
                payload = (etree.tostring(entry.document()) if as_xml
                           else message.encode())
            except HL7Error as exc:
                failures += 1
                click.echo(f"- not sent: {entry.label}: {exc}", err=True)
                continue
            try:
                answer = client.send(payload)
            except NoAcknowledgment as exc:
                raise click.ClickException(str(exc)) from None
            if answer.code not in ("AA", "CA"):
                failures += 1
            for ack in answer.acks:
                click.echo(_ack_line(message.control_id, ack))
    return failures


def _ack_line(control_id: str, ack: bytes) -> str:
    """``CONTROL-ID CODE text`` and the ERR lines, as the SOAP sender prints them."""
    try:
        parsed = v2xml.from_xml(ack) if xmlstream.is_xml(ack) else er7.parse(ack)
    except HL7Error:
        return f"{control_id} ? (an ACK carebridge cannot read)"
    text = parsed.get("MSA-3")
    lines = [f"{parsed.get('MSA-2') or control_id} {parsed.get('MSA-1')}"
             f"{' ' + text if text else ''}"]
    for err in parsed.occurrences("ERR"):
        lines.append("  " + "|".join(err.fields[1:]))
    return "\n".join(lines)
