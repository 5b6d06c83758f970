"""Errors raised at the SOAP edge; ``faults.to_fault`` turns each into a SOAP Fault.

SoapError
 ├── RequestRejected            the request as a whole is unacceptable (Client)
 │    ├── RequestTooLarge       body, or its gzip-decoded form, over the configured cap (413)
 │    ├── UnsupportedMedia      not an XML Content-Type, or a Content-Encoding not gzip (415)
 │    ├── UndecodableBody       a gzip body that does not decode (400)
 │    ├── UnsafeXml             DOCTYPE, entity declarations, processing tricks
 │    ├── MalformedXml          not well-formed; carries line and column
 │    ├── MalformedEnvelope     no Body, an empty Body, two operations, a bad header attribute
 │    ├── VersionMismatch       an Envelope that is not SOAP 1.1's
 │    ├── SchemaInvalid         not valid against the contract's schema; carries path
 │    └── MustUnderstandFault   a mustUnderstand header carebridge does not process
 ├── SecurityFault              WS-Security 1.0 §12 faults: codes in the wsse namespace
 │    ├── InvalidSecurity       the wsse:Security headers themselves are unacceptable
 │    └── AuthenticationFailed  missing, malformed or wrong credentials
 └── ClientError                calling a service (soap.client)
      ├── ServiceUnreachable    no answer after the retries
      └── ServiceRefused        a Fault or HTTP error that resending would not cure

``http_status`` is the reply's status: 500 for every SOAP Fault (SOAP 1.1 §6.2), other
codes only for what is refused before the body is read as SOAP.
"""

from __future__ import annotations

from carebridge.soap.wsse.namespaces import WSSE


class SoapError(Exception):
    """Base of every SOAP-edge error.

    ``faultcode`` is the SOAP 1.1 fault code: a local name in the SOAP envelope namespace,
    or, when ``fault_namespace`` is set, in that namespace.
    """

    faultcode = "Server"
    fault_namespace: str | None = None
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestRejected(SoapError):
    faultcode = "Client"


class RequestTooLarge(RequestRejected):
    faultcode = "Client.RequestTooLarge"
    http_status = 413

    def __init__(self, limit: int, message: str | None = None) -> None:
        super().__init__(message or f"request body exceeds {limit} bytes")
        self.limit = limit


class UnsupportedMedia(RequestRejected):
    faultcode = "Client.UnsupportedMediaType"
    http_status = 415


class UndecodableBody(RequestRejected):
    faultcode = "Client.BadContentEncoding"
    http_status = 400


class UnsafeXml(RequestRejected):
    faultcode = "Client.UnsafeXml"


class MalformedXml(RequestRejected):
    faultcode = "Client.XMLSyntaxError"

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(message + where)
        self.line = line
        self.column = column


class MalformedEnvelope(RequestRejected):
    faultcode = "Client"


class VersionMismatch(RequestRejected):
    faultcode = "VersionMismatch"


class SchemaInvalid(RequestRejected):
    faultcode = "Client.SchemaValidationError"

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = f" at {path}" if path else ""
        super().__init__(message + where)
        self.path = path
        self.line = line


class MustUnderstandFault(RequestRejected):
    faultcode = "MustUnderstand"

    def __init__(self, header: str) -> None:
        super().__init__(f"header {header} is marked mustUnderstand but is not understood")
        self.header = header


class SecurityFault(SoapError):
    fault_namespace = WSSE


class InvalidSecurity(SecurityFault):
    faultcode = "InvalidSecurity"


class AuthenticationFailed(SecurityFault):
    faultcode = "FailedAuthentication"

    def __init__(self, message: str = "the security token could not be authenticated") -> None:
        super().__init__(message)


class ClientError(SoapError):
    """Base of the errors of carebridge's own SOAP clients."""


class ServiceUnreachable(ClientError):
    pass


class ServiceRefused(ClientError):
    pass
