"""The one place errors become SOAP Faults: Spyne Faults inside a service, and the same
Fault as a whole envelope for what is refused before Spyne reads the request."""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape as xml_escape

from lxml import etree
from spyne.model.fault import Fault
from sqlalchemy.exc import OperationalError

from carebridge.integrator.exceptions import RequestRefused
from carebridge.soap.exceptions import SoapError
from carebridge.soap.wsse.namespaces import WSSE

# The prefix a qualified fault code is written with (WS-Security's own examples use it).
_PREFIXES = {WSSE: "wsse"}


class QualifiedFault(Fault):
    """A Fault whose code is a QName outside the SOAP envelope namespace (``wsse:...``).

    Spyne writes every code as ``soap11env:<code>``; ``qualify_fault_code`` rewrites the
    serialized element, declaring the namespace on it so the QName resolves.
    """

    def __init__(self, namespace: str, code: str, message: str) -> None:
        super().__init__(faultcode=code, faultstring=message)
        self.namespace = namespace


def to_fault(error: SoapError) -> Fault:
    if error.fault_namespace:
        return QualifiedFault(error.fault_namespace, error.faultcode, error.message)
    return Fault(faultcode=error.faultcode, faultstring=error.message)


def qualify_fault_code(fault_element: etree._Element, fault: QualifiedFault) -> None:
    """Replace the ``faultcode`` child of a serialized soap:Fault with the qualified code."""
    old = fault_element.find("faultcode")
    if old is None:
        return
    prefix = _PREFIXES.get(fault.namespace, "ns")
    new = etree.Element("faultcode", nsmap={prefix: fault.namespace})
    new.text = f"{prefix}:{fault.faultcode}"
    new.tail = old.tail
    fault_element.replace(old, new)


class ClientFault(Fault):
    """A request the service understood and refuses (bad arguments, not found)."""

    def __init__(self, message: str, code: str = "Client") -> None:
        super().__init__(faultcode=code, faultstring=message)


def unavailable() -> Fault:
    """The database (or another dependency) is down: the client should retry later."""
    return Fault(faultcode="Server.Unavailable", faultstring="service temporarily unavailable")


def internal_error() -> Fault:
    """A bug: the client learns nothing more (the log has the traceback)."""
    return Fault(faultcode="Server", faultstring="internal error")


def _soap_error(exc: Exception) -> Fault:
    assert isinstance(exc, SoapError)
    return to_fault(exc)


# The SOAP door's one error table: what authentication, a use case or the store may raise,
# and the Fault the client gets. A database that is down or cut off is Server.Unavailable,
# which a client may resend on, never Spyne's generic fault (whose text would carry
# SQLAlchemy's statement and parameters). Problems with an HL7 message are never here:
# they are acknowledgments.
ERROR_TABLE: tuple[tuple[type[Exception], Callable[[Exception], Fault]], ...] = (
    (SoapError, _soap_error),
    (OperationalError, lambda _exc: unavailable()),
    (RequestRefused, lambda exc: ClientFault(str(exc))),
)


def fault_for(exc: Exception) -> Fault | None:
    """The Fault ``exc`` is answered with, or None when it is not an expected error."""
    for kind, make in ERROR_TABLE:
        if isinstance(exc, kind):
            return make(exc)
    return None


_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    "<soap:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
    "</soap:Fault></soap:Body></soap:Envelope>"
)


def fault_document(error: SoapError) -> bytes:
    """``error`` as a complete SOAP 1.1 Fault envelope, written as Spyne writes a Fault."""
    if error.fault_namespace:
        prefix = _PREFIXES.get(error.fault_namespace, "ns")
        code = (f'<faultcode xmlns:{prefix}="{xml_escape(error.fault_namespace)}">'
                f"{prefix}:{error.faultcode}</faultcode>")
        return _ENVELOPE.format(code="", text=xml_escape(error.message)).replace(
            "<faultcode></faultcode>", code).encode("utf-8")
    return _ENVELOPE.format(code=f"soap:{error.faultcode}",
                            text=xml_escape(error.message)).encode("utf-8")
