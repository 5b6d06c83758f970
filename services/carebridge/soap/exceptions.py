"""Errors raised at the SOAP edge; ``faults.to_fault`` turns each into a SOAP Fault.

SoapError
 ├── RequestRejected            the request as a whole is unacceptable (Client)
 │    ├── RequestTooLarge       body over the configured cap
 │    ├── UnsafeXml             DOCTYPE, entity declarations, processing tricks
 │    ├── MalformedXml          not well-formed; carries line and column
 │    ├── SchemaInvalid         not valid against the contract's schema; carries path
 │    └── MustUnderstandFault   a mustUnderstand header carebridge does not process
 ├── AuthenticationFailed       missing, malformed or wrong WS-Security credentials
 └── ClientError                calling a service (soap.client)
      ├── ServiceUnreachable    no answer after the retries
      └── ServiceRefused        a Fault or HTTP error that resending would not cure
"""

from __future__ import annotations


class SoapError(Exception):
    """Base of every SOAP-edge error. ``faultcode`` is the SOAP 1.1 fault code."""

    faultcode = "Server"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestRejected(SoapError):
    faultcode = "Client"


class RequestTooLarge(RequestRejected):
    faultcode = "Client.RequestTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


class UnsafeXml(RequestRejected):
    faultcode = "Client.UnsafeXml"


class MalformedXml(RequestRejected):
    faultcode = "Client.XMLSyntaxError"

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(message + where)
        self.line = line
        self.column = column


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


class AuthenticationFailed(SoapError):
    # WS-Security 1.1 fault codes are qualified names in the wsse namespace.
    faultcode = "Client.FailedAuthentication"

    def __init__(self, message: str = "the security token could not be authenticated") -> None:
        super().__init__(message)


class ClientError(SoapError):
    """Base of the errors of carebridge's own SOAP clients."""


class ServiceUnreachable(ClientError):
    pass


class ServiceRefused(ClientError):
    pass
