"""HnrService: the CAISI Integrator's HnrWs.

The real HnrWs only relays to a separate Health Number Registry server and answers its
ConnectException Fault ("HNR Server unavailable.") when none is reachable, which OSCAR
shows as the HNR being offline. carebridge has no HNR server: every operation answers that.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import MethodContext
from spyne.model.fault import Fault

from carebridge.soap import catalogue

_MESSAGE = "HNR Server unavailable."


class HnrUnavailable(Fault):
    """The real integrator's ``ConnectException`` fault, detail as JAX-WS writes it
    (``<tns:ConnectException><message>``), so OSCAR's stubs map it to their
    ConnectException_Exception."""

    def __init__(self) -> None:
        detail = etree.Element(f"{{{catalogue.namespace('tns')}}}ConnectException",
                               nsmap={"ns2": catalogue.namespace("tns")})
        etree.SubElement(detail, "message").text = _MESSAGE
        super().__init__(faultcode="Server", faultstring=_MESSAGE, detail=detail)


def _unavailable(ctx: MethodContext, *args: Any) -> Any:
    raise HnrUnavailable()


HANDLERS: dict[str, catalogue.Handler] = {
    operation.name: _unavailable for operation in catalogue.service_facts("HnrWs").operations
}
