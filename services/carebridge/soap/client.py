"""zeep clients for carebridge's own contracts: checked-in WSDL, WS-Security, retries.

The WSDL comes from the package (nothing is downloaded at run time); calls get an
operation timeout. What a load-balanced service answers while a node or the
database is away is retried with doubling backoff: connection errors, timeouts,
HTTP 502/503/504 from the balancer and the ``Server.Unavailable`` fault. That is
safe because every carebridge operation is idempotent by key, so a resend of a
request that did get through is answered, not applied twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
import zeep
from zeep.wsse.username import UsernameToken

from carebridge.contracts import ServiceContract, contract_path
from carebridge.soap.exceptions import ServiceRefused, ServiceUnreachable

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
UNAVAILABLE_FAULT = "Server.Unavailable"


class _Transport(zeep.Transport):
    """502/503/504 are the balancer's (or a proxy's) word, whatever page comes with them;
    zeep would otherwise read an XML-ish error page as an unknown Fault."""

    def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> Any:
        response = super().post_xml(address, envelope, headers)
        if response.status_code in RETRY_STATUSES:
            raise zeep.exceptions.TransportError(f"HTTP {response.status_code}",
                                                 status_code=response.status_code)
        return response


class ServiceClient:
    def __init__(self, contract: ServiceContract, address: str, username: str, password: str, *,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 max_backoff: float = 30.0, digest: bool = False,
                 sleep: Callable[[float], object] = time.sleep,
                 on_retry: Callable[[str], object] | None = None) -> None:
        self.address = address
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._on_retry = on_retry
        self.client = zeep.Client(
            str(contract_path("wsdl", contract.wsdl)),
            wsse=UsernameToken(username, password, use_digest=digest),
            transport=_Transport(timeout=timeout, operation_timeout=timeout),
        )
        self.service = self.client.create_service(contract.binding, address)

    def call(self, operation: str, *args: Any) -> Any:
        """The result; ServiceUnreachable after the retries, ServiceRefused otherwise."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return getattr(self.service, operation)(*args)
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = type(exc).__name__
            except zeep.exceptions.Fault as fault:
                if not str(fault.code or "").endswith(UNAVAILABLE_FAULT):
                    raise ServiceRefused(
                        f"the service refused the request: {fault.message}") from None
                reason = "service temporarily unavailable"
            except zeep.exceptions.TransportError as exc:
                if exc.status_code not in RETRY_STATUSES:
                    raise ServiceRefused(f"the service answered HTTP {exc.status_code}") from None
                reason = f"HTTP {exc.status_code}"
            if self._on_retry is not None:
                self._on_retry(reason)
            if attempt == self.retries:
                raise ServiceUnreachable(f"{self.address} did not answer after "
                                         f"{self.retries + 1} attempts: {reason}")
            log.warning("%s: %s; retrying in %.1fs", self.address, reason, delay)
            self._sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")
