"""Spyne's SOAP 1.1 protocol with carebridge's input rules and JAX-WS output.

Input goes through ``safe_xml`` (never Spyne's own parser, which logs whole
payloads on a syntax error), the envelope is read strictly (``envelope``),
mustUnderstand headers are checked, the caller is authenticated, and only then is
the body validated against the contract's schema, i.e. the checked-in WSDL, not
Spyne's regenerated one: an unauthenticated caller learns nothing about the schema.
Output has the JAX-WS element form (see ``jaxws``) and qualified fault codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from lxml import etree
from spyne import MethodContext
from spyne.const.http import HTTP_405
from spyne.error import RequestNotAllowed
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11
from spyne.server.http import HttpTransportContext

from carebridge.soap import envelope, safe_xml
from carebridge.soap.exceptions import MustUnderstandFault, SchemaInvalid, SoapError
from carebridge.soap.faults import QualifiedFault, internal_error, qualify_fault_code, to_fault
from carebridge.soap.jaxws import unqualify_descendants

log = logging.getLogger(__name__)


class CarebridgeSoap11(Soap11):
    def __init__(
        self,
        *,
        understood_headers: Collection[str] = (),
        body_schema: Callable[[], etree.XMLSchema] | None = None,
        authenticate: Callable[[Any], None] | None = None,
        jaxws_output: bool = True,
        **kwargs: object,
    ) -> None:
        """``authenticate(ctx)`` runs after the header checks and before schema validation;
        it raises a Fault to refuse the request."""
        super().__init__(validator=None, **kwargs)
        self.understood_headers = frozenset(understood_headers)
        self._body_schema = body_schema
        self._authenticate = authenticate
        self.jaxws_output = jaxws_output

    def create_in_document(self, ctx: MethodContext, charset: str | None = None) -> None:
        transport = ctx.transport
        if isinstance(transport, HttpTransportContext) and (
            transport.get_request_method() != "POST" or not transport.get_request_content_type()
        ):
            transport.resp_code = HTTP_405
            raise RequestNotAllowed("SOAP requests are POSTs with a Content-Type header")
        data = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode(charset or "utf-8")
            for chunk in ctx.in_string
        )
        try:
            ctx.in_document = (safe_xml.parse(data), {})
        except SoapError as exc:
            raise to_fault(exc) from None

    def decompose_incoming_envelope(self, ctx: MethodContext,
                                    message: object = Soap11.REQUEST) -> None:
        if message != self.REQUEST:
            super().decompose_incoming_envelope(ctx, message)
            return
        root, _ids = ctx.in_document
        try:
            headers, body = envelope.split_envelope(root)
            ctx.in_document = root
            ctx.in_header_doc = headers
            ctx.in_body_doc = body
            ctx.method_request_string = body.tag
            for header in headers:
                if envelope.must_understand(header) and header.tag not in self.understood_headers:
                    raise MustUnderstandFault(str(header.tag))
        except SoapError as exc:
            raise to_fault(exc) from None
        try:
            if self._authenticate is not None:
                self._authenticate(ctx)
            self.validate_body(ctx, message)
        except Fault:
            raise
        except Exception:
            # Spyne would let it escape as an HTML error page; answer a SOAP Fault instead.
            log.exception("unexpected error while admitting a request")
            raise internal_error() from None

    def validate_body(self, ctx: MethodContext, message: object) -> None:
        if self._body_schema is None or ctx.in_body_doc is None or message != self.REQUEST:
            return
        schema = self._body_schema()
        if not schema.validate(ctx.in_body_doc):
            error = schema.error_log.last_error
            path = error.path if error is not None else None
            text = error.message if error is not None else "invalid request body"
            raise to_fault(SchemaInvalid(text, path))

    def serialize(self, ctx: MethodContext, message: object) -> None:
        super().serialize(ctx, message)
        if ctx.out_body_doc is None:
            return
        if isinstance(ctx.out_error, QualifiedFault):
            for fault in ctx.out_body_doc:
                qualify_fault_code(fault, ctx.out_error)
        elif self.jaxws_output and ctx.out_error is None:
            for wrapper in ctx.out_body_doc:
                unqualify_descendants(wrapper)

