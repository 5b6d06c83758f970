"""The one place SOAP-edge errors become Spyne Faults."""

from __future__ import annotations

from lxml import etree
from spyne.model.fault import Fault

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
