"""Spyne's SOAP 1.1 protocol with carebridge's input rules and JAX-WS output.

Input goes through ``safe_xml`` (never Spyne's own parser, which logs whole
payloads on a syntax error), mustUnderstand headers are checked, and the body is
validated against the contract's schema, i.e. the checked-in WSDL, not Spyne's
regenerated one. Output has the JAX-WS element form (see ``jaxws``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from lxml import etree
from spyne.const.http import HTTP_405
from spyne.error import RequestNotAllowed
from spyne.protocol.soap import Soap11
from spyne.server.http import HttpTransportContext

from carebridge.soap import safe_xml
from carebridge.soap.exceptions import MustUnderstandFault, SchemaInvalid, SoapError
from carebridge.soap.faults import to_fault
from carebridge.soap.jaxws import unqualify_descendants

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_MUST_UNDERSTAND = f"{{{SOAP11_ENV}}}mustUnderstand"
_ACTOR = f"{{{SOAP11_ENV}}}actor"
_NEXT_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"


class CarebridgeSoap11(Soap11):
    def __init__(
        self,
        *,
        understood_headers: Collection[str] = (),
        body_schema: Callable[[], etree.XMLSchema] | None = None,
        jaxws_output: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(validator=None, **kwargs)
        self.understood_headers = frozenset(understood_headers)
        self._body_schema = body_schema
        self.jaxws_output = jaxws_output

    def create_in_document(self, ctx, charset=None):  # type: ignore[no-untyped-def]
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

    def decompose_incoming_envelope(self, ctx, message=Soap11.REQUEST):  # type: ignore[no-untyped-def]
        super().decompose_incoming_envelope(ctx, message)
        if message == self.REQUEST and ctx.in_header_doc:
            for header in ctx.in_header_doc:
                if self._must_understand(header) and header.tag not in self.understood_headers:
                    raise to_fault(MustUnderstandFault(str(header.tag)))

    def validate_body(self, ctx, message):  # type: ignore[no-untyped-def]
        if self._body_schema is None or ctx.in_body_doc is None or message != self.REQUEST:
            return
        schema = self._body_schema()
        if not schema.validate(ctx.in_body_doc):
            error = schema.error_log.last_error
            path = error.path if error is not None else None
            text = error.message if error is not None else "invalid request body"
            raise to_fault(SchemaInvalid(text, path))

    def serialize(self, ctx, message):  # type: ignore[no-untyped-def]
        super().serialize(ctx, message)
        if self.jaxws_output and ctx.out_error is None and ctx.out_body_doc is not None:
            for wrapper in ctx.out_body_doc:
                unqualify_descendants(wrapper)

    @staticmethod
    def _must_understand(header: etree._Element) -> bool:
        if not isinstance(header.tag, str):
            return False
        if header.get(_MUST_UNDERSTAND) not in ("1", "true"):
            return False
        actor = header.get(_ACTOR)
        return actor in (None, "", _NEXT_ACTOR)

