"""zeep clients for carebridge's own contracts: checked-in WSDL, WS-Security, retries.

The WSDL comes from the package (nothing is downloaded at run time); calls get an
operation timeout. Whatever can go wrong on the way once a request has left is
retried with doubling backoff: connection errors and resets, timeouts, a reply cut
short or garbled (requests' ``ChunkedEncodingError``/``ContentDecodingError``,
urllib3 protocol errors, a truncated or empty body zeep cannot parse), HTTP
502/503/504 from the balancer and the ``Server.Unavailable`` fault. That is safe
because every carebridge operation is idempotent by key, so a resend of a request
that did get through is answered, not applied twice. A real SOAP Fault, or an HTTP
error that resending would not cure, is final: ``ServiceRefused``.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from typing import Any

import requests
import urllib3
import zeep
from lxml import etree
from zeep.wsse.username import UsernameToken

from carebridge.contracts import ServiceContract, contract_path
from carebridge.soap.exceptions import ServiceRefused, ServiceUnreachable

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
UNAVAILABLE_FAULT = "Server.Unavailable"
# The statuses a SOAP reply comes with: one of them with no readable envelope is a
# reply broken on the way (cut short, emptied), not an answer.
_SOAP_STATUSES = frozenset({200, 500})
# Wrong addresses: nothing was sent and resending would not change that.
_UNUSABLE_ADDRESS = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                     requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)
# A transport that broke before or after the request went out: OSError covers every
# requests error; urllib3 and http.client ones can surface raw from a cut body.
_TRANSLATED = (zeep.exceptions.Fault, zeep.exceptions.TransportError, OSError,
               urllib3.exceptions.HTTPError, http.client.HTTPException, etree.XMLSyntaxError,
               zeep.exceptions.XMLSyntaxError)


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
            # As on the server side: a reply's DTD or entities are never loaded.
            settings=zeep.Settings(forbid_dtd=True, forbid_entities=True,
                                   forbid_external=True),
        )
        self.service = self.client.create_service(contract.binding, address)

    def call(self, operation: str, *args: Any) -> Any:
        """The result; ServiceUnreachable after the retries, ServiceRefused otherwise."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return getattr(self.service, operation)(*args)
            except _TRANSLATED as exc:
                reason = self._resend_reason(exc)
            if self._on_retry is not None:
                self._on_retry(reason)
            if attempt == self.retries:
                raise ServiceUnreachable(f"{self.address} did not answer after "
                                         f"{self.retries + 1} attempts: {reason}")
            log.warning("%s: %s; retrying in %.1fs", self.address, reason, delay)
            self._sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")

    def _resend_reason(self, exc: Exception) -> str:
        """Why resending may cure ``exc``, or the final ClientError it stands for.

        The one place where requests', urllib3's, lxml's and zeep's errors are translated.
        """
        if isinstance(exc, zeep.exceptions.Fault):
            if not str(exc.code or "").endswith(UNAVAILABLE_FAULT):
                raise ServiceRefused(f"the service refused the request: {exc.message}") from None
            return "service temporarily unavailable"
        if isinstance(exc, zeep.exceptions.TransportError):
            if exc.status_code in RETRY_STATUSES:
                return f"HTTP {exc.status_code}"
            if exc.status_code in _SOAP_STATUSES:  # empty or not XML: broken on the way
                return f"HTTP {exc.status_code} with an unreadable reply"
            raise ServiceRefused(f"the service answered HTTP {exc.status_code}") from None
        if isinstance(exc, _UNUSABLE_ADDRESS):
            raise ServiceUnreachable(f"{self.address} is not a usable address: {exc}") from None
        return type(exc).__name__
