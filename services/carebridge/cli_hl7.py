"""``carebridge hl7 ...``: the HL7 engine from the command line (no database needed)."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from pathlib import Path

import click

from carebridge.hl7 import er7, framing, v2xml
from carebridge.hl7.ack import AckError, Outcome, ack_code, build_ack
from carebridge.hl7.exceptions import HL7Error


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


def _fail(error: HL7Error) -> click.ClickException:
    return click.ClickException(f"{error} (HL7 error {error.code})")


@click.group("hl7")
def hl7() -> None:
    """Convert, validate and acknowledge HL7 v2 messages; generate ADT test messages."""


@hl7.command("to-xml")
@click.argument("source", default="-")
@click.option("--charset", default="utf-8", show_default=True,
              help="Character set when MSH-18 names none.")
def to_xml(source: str, charset: str) -> None:
    """ER7 (file of messages, batch or MLLP stream) to HL7 v2.xml, one document per line."""
    try:
        for raw in _er7_messages(_read(source)):
            sys.stdout.buffer.write(v2xml.to_xml(er7.parse(raw, charset)) + b"\n")
    except HL7Error as exc:
        raise _fail(exc) from None


@hl7.command("to-er7")
@click.argument("source", default="-")
def to_er7(source: str) -> None:
    """HL7 v2.xml to ER7 (segments end with \\r, the message with \\r\\n)."""
    try:
        message = v2xml.from_xml(_read(source))
    except HL7Error as exc:
        raise _fail(exc) from None
    sys.stdout.buffer.write(message.to_er7().encode("utf-8") + b"\n")


def _load(data: bytes) -> tuple[er7.Message, bytes]:
    """A message from ER7 or v2.xml, with its v2.xml form."""
    if data.lstrip()[:1] == b"<":
        message = v2xml.from_xml(data)
        return message, data
    message = er7.parse(_er7_messages(data)[0])
    return message, v2xml.to_xml(message)


@hl7.command("validate")
@click.argument("source")
@click.option("--schema", default=None, help="Schema name (ADT_A01, ADT_A03, ADT_A04, "
              "hl7v2-any); default: the message's own structure, else hl7v2-any.")
def validate_command(source: str, schema: str | None) -> None:
    """Validate a message (ER7 or v2.xml) against an XSD; exit 1 with located errors."""
    from carebridge.hl7 import validate

    try:
        message, document = _load(_read(source))
    except HL7Error as exc:
        click.echo(f"{exc} (HL7 error {exc.code})", err=True)
        sys.exit(1)
    name = schema or validate.schema_for(message)
    issues = validate.validate(document, name)
    for issue in issues:
        click.echo(f"{issue.location}: {issue.message} (HL7 error {issue.code})", err=True)
    if issues:
        sys.exit(1)
    click.echo(f"valid against {name}")


@hl7.command("ack")
@click.argument("source")
@click.option("--code", type=click.Choice(["AA", "AE", "AR", "CA", "CE", "CR"]),
              help="Force MSA-1; by default it follows parsing and validation.")
@click.option("--text", default=None, help="MSA-3 text.")
@click.option("--xml", "as_xml", is_flag=True, help="Write the ACK as v2.xml.")
def ack(source: str, code: str | None, text: str | None, as_xml: bool) -> None:
    """The acknowledgment a receiver would send for SOURCE."""
    from carebridge.hl7 import validate

    data = _read(source)
    message = None
    errors: list[AckError] = []
    try:
        message, document = _load(data)
        errors = [AckError(i.code, i.location, i.message)
                  for i in validate.validate(document, validate.schema_for(message))]
        outcome = Outcome.ERROR if errors else Outcome.ACCEPTED
    except HL7Error as exc:
        errors = [AckError.from_exception(exc)]
        outcome = Outcome.REJECTED
    reply = build_ack(message, code or ack_code(message, outcome),
                      control_id=uuid.uuid4().hex[:20].upper(), text=text, errors=errors,
                      now=dt.datetime.now(dt.UTC))
    if as_xml:
        sys.stdout.buffer.write(v2xml.to_xml(reply) + b"\n")
    else:
        sys.stdout.buffer.write(reply.to_er7().encode(reply.charset) + b"\n")


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
@click.option("--url", required=True, help="Service URL, e.g. http://host:8080/services/"
              "PatientSubmission")
@click.option("--user", required=True, help="Facility name (WS-Security username).")
@click.option("--password", required=True)
@click.option("--xml", "as_xml", is_flag=True, help="Submit as HL7 v2.xml (submitMessageXml).")
@click.option("--timeout", default=30.0, show_default=True)
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0))
def send(source: str, url: str, user: str, password: str, as_xml: bool, timeout: float,
         retries: int) -> None:
    """Submit every message of SOURCE; one line per ACK; exit 1 unless all are AA.

    A message whose call times out or fails to connect is sent again as it is:
    the service keys messages by MSH-3/MSH-4/MSH-10, so a resend never counts twice.
    """
    from lxml import etree

    from carebridge.contracts import PATIENT_SUBMISSION
    from carebridge.soap.client import ServiceClient
    from carebridge.soap.exceptions import ClientError

    try:
        messages = _er7_messages(_read(source))
    except HL7Error as exc:
        raise _fail(exc) from None
    client = ServiceClient(PATIENT_SUBMISSION, url, user, password, timeout=timeout,
                           retries=retries)
    failures = 0
    for raw in messages:
        try:
            message = er7.parse(raw)
            if as_xml:
                payload = {"_value_1": etree.fromstring(v2xml.to_xml(message))}
                reply = client.call("submitMessageXml", payload)
            else:
                reply = client.call("submitMessage", message.to_er7())
        except HL7Error as exc:
            failures += 1
            click.echo(f"- not sent: {exc}", err=True)
            continue
        except ClientError as exc:
            raise click.ClickException(str(exc)) from None
        if reply.ackCode != "AA":
            failures += 1
        detail = f" {reply.text}" if reply.text else ""
        click.echo(f"{reply.messageControlId} {reply.ackCode}{detail}")
        for error in reply.errors or []:
            click.echo(f"  {error}")
    if failures:
        sys.exit(1)
