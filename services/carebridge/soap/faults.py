"""The one place SOAP-edge errors become Spyne Faults."""

from __future__ import annotations

from spyne.model.fault import Fault

from carebridge.soap.exceptions import SoapError


def to_fault(error: SoapError) -> Fault:
    return Fault(faultcode=error.faultcode, faultstring=error.message)


class ClientFault(Fault):
    """A request the service understood and refuses (bad arguments, not found)."""

    def __init__(self, message: str, code: str = "Client") -> None:
        super().__init__(faultcode=code, faultstring=message)


def unavailable() -> Fault:
    """The database (or another dependency) is down: the client should retry later."""
    return Fault(faultcode="Server.Unavailable", faultstring="service temporarily unavailable")
