"""HnrService: the CAISI Integrator's HnrWs.

The real HnrWs only relays to a separate Health Number Registry server and answers its
ConnectException Fault ("HNR Server unavailable.") when none is reachable, which OSCAR
shows as the HNR being offline. carebridge has no HNR server: every operation answers that.
"""

from __future__ import annotations

from typing import Any

from spyne import MethodContext
from spyne.model.fault import Fault

from carebridge.soap import catalogue


class HnrUnavailable(Fault):
    """The real integrator's ``ConnectException`` fault (detail ``tns:ConnectException``)."""

    __namespace__ = catalogue.namespace("tns")
    __type_name__ = "ConnectException"

    def __init__(self) -> None:
        super().__init__(faultcode="Server", faultstring="HNR Server unavailable.",
                         detail={"message": "no HNR server is configured for this integrator"})


def _unavailable(ctx: MethodContext, *args: Any) -> Any:
    raise HnrUnavailable()


HANDLERS: dict[str, catalogue.Handler] = {
    operation.name: _unavailable for operation in catalogue.service_facts("HnrWs").operations
}
