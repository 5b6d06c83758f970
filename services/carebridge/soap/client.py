"""zeep clients for carebridge's own contracts: checked-in WSDL, WS-Security, retries.

The WSDL comes from the package (nothing is downloaded at run time); calls get an
operation timeout; connection errors and timeouts are retried with doubling
backoff, which is safe because every carebridge operation is idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
import zeep
from zeep.wsse.username import UsernameToken

from carebridge.contracts import contract_path
from carebridge.soap.exceptions import ServiceRefused, ServiceUnreachable

log = logging.getLogger(__name__)


class ServiceClient:
    def __init__(self, wsdl: str, binding: str, address: str, username: str, password: str, *,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 digest: bool = False, sleep: Callable[[float], object] = time.sleep) -> None:
        self.address = address
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self.client = zeep.Client(
            str(contract_path("wsdl", wsdl)),
            wsse=UsernameToken(username, password, use_digest=digest),
            transport=zeep.Transport(timeout=timeout, operation_timeout=timeout),
        )
        self.service = self.client.create_service(binding, address)

    def call(self, operation: str, *args: Any) -> Any:
        """The result; ServiceUnreachable after the retries, ServiceRefused on a Fault."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return getattr(self.service, operation)(*args)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.retries:
                    raise ServiceUnreachable(
                        f"{self.address} did not answer after {self.retries + 1} attempts: "
                        f"{type(exc).__name__}") from None
                log.warning("%s not answering (%s); retrying in %.1fs", self.address,
                            type(exc).__name__, delay)
                self._sleep(delay)
                delay *= 2
            except zeep.exceptions.Fault as fault:
                raise ServiceRefused(f"the service refused the request: {fault.message}") from None
            except zeep.exceptions.TransportError as exc:
                raise ServiceRefused(f"the service answered HTTP {exc.status_code}") from None
        raise AssertionError("unreachable")
