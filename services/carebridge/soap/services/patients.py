"""PatientSubmissionService: the SOAP door to ``patients.submit``, ``mpi`` and ``los``.

Each operation is one unit of work (``store.unit_of_work``) around one use case, the
sender being the authenticated facility with its domains (``FacilityRef``).


Document/literal wrapped in ``urn:carebridge:patients:1`` (elements qualified,
carebridge's own contract in ``wsdl/PatientSubmission.wsdl``). Problems with a
message are HL7 acknowledgments (AE/AR with ERR), never SOAP Faults; Faults are
for SOAP-level problems only (envelope, credentials, an unavailable database).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from lxml import etree
from spyne import (
    AnyXml,
    ComplexModel,
    DateTime,
    Double,
    Integer32,
    MethodContext,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.server.wsgi import WsgiApplication

from carebridge.config import Settings
from carebridge.contracts import PATIENT_SUBMISSION, contract_path
from carebridge.patients import los, mpi
from carebridge.patients.policy import SubmitPolicy, submit_policy
from carebridge.patients.submit import Reply, submit_message
from carebridge.soap.app import ServiceEnv, as_utc, soap_application
from carebridge.soap.faults import ClientFault
from carebridge.soap.models import optional, repeated
from carebridge.store import unit_of_work
from carebridge.store.facilities import facility_ref

TNS = "urn:carebridge:patients:1"
MOUNT = PATIENT_SUBMISSION.path


class Acknowledgment(ComplexModel):
    __namespace__ = TNS
    __type_name__ = "acknowledgment"
    _type_info = [
        ("ackCode", Unicode(min_occurs=1, nillable=False)),
        ("messageControlId", optional(Unicode)),
        ("ackControlId", optional(Unicode)),
        ("text", optional(Unicode)),
        ("errors", repeated(Unicode)),
        ("ack", optional(Unicode)),
    ]

    @classmethod
    def of(cls, reply: Reply) -> Acknowledgment:
        return cls(ackCode=reply.ack_code, messageControlId=reply.message_control_id,
                   ackControlId=reply.ack_control_id, text=reply.text, errors=reply.errors,
                   ack=reply.ack)


class PatientIdentifier(ComplexModel):
    __namespace__ = TNS
    __type_name__ = "identifier"
    _type_info = [("value", Unicode(min_occurs=1, nillable=False)),
                  ("assigningAuthority", optional(Unicode)), ("type", optional(Unicode))]


class MasterPatient(ComplexModel):
    __namespace__ = TNS
    __type_name__ = "patient"
    _type_info = [
        ("enterpriseId", Unicode(min_occurs=1, nillable=False)),
        ("identifiers", repeated(PatientIdentifier)),
        *((name, optional(Unicode)) for name in (
            "familyName", "givenName", "middleName", "birthDate", "sex", "street", "city",
            "state", "postalCode", "country", "phone")),
    ]


class LengthOfStayAlert(ComplexModel):
    __namespace__ = TNS
    __type_name__ = "lengthOfStayAlert"
    _type_info = [
        ("patientEnterpriseId", optional(Unicode)), ("visitNumber", optional(Unicode)),
        ("lengthOfStayDays", optional(Double)), ("windowAverageDays", optional(Double)),
        ("windowSize", optional(Integer32)), ("time", optional(DateTime)),
    ]


def _env(ctx: MethodContext) -> ServiceEnv:
    env: ServiceEnv = ctx.app.carebridge
    return env


@functools.lru_cache(maxsize=4)
def _policy(settings: Settings) -> SubmitPolicy:
    return submit_policy(settings)


def _submit(ctx: MethodContext, payload: str | bytes, encoding: str) -> Acknowledgment:
    env = _env(ctx)
    policy = _policy(env.settings)
    facility_id = ctx.udc.caller.facility_id
    reply = unit_of_work.run(env.db, lambda session: submit_message(
        session, facility_ref(session, facility_id), payload, policy, encoding=encoding),
        writes=True)
    return Acknowledgment.of(reply)


class PatientSubmission(ServiceBase):
    __service_name__ = "PatientSubmissionService"

    @rpc(Unicode(min_occurs=1, nillable=False), _args=("er7",), _returns=Acknowledgment,
         _body_style="wrapped", _operation_name="submitMessage",
         _out_message_name="submitMessageResponse", _out_variable_name="acknowledgment")
    def submit_message(ctx: MethodContext, er7: str) -> Acknowledgment:
        return _submit(ctx, er7, "er7")

    @rpc(AnyXml(min_occurs=1, nillable=False), _args=("message",), _returns=Acknowledgment,
         _operation_name="submitMessageXml", _out_message_name="submitMessageXmlResponse",
         _out_variable_name="acknowledgment")
    def submit_message_xml(ctx: MethodContext, message: Any) -> Acknowledgment:
        # Spyne hands over the first element inside <message>: the v2.xml document.
        if message is None or not isinstance(message.tag, str):
            raise ClientFault("message must hold one HL7 v2.xml document element")
        return _submit(ctx, etree.tostring(message), "xml")

    @rpc(Unicode(min_occurs=1, nillable=False), optional(Unicode),
         _args=("identifier", "assigningAuthority"), _returns=optional(MasterPatient),
         _operation_name="getPatient", _out_message_name="getPatientResponse",
         _out_variable_name="patient")
    def get_patient(ctx: MethodContext, identifier: str,
                    assigningAuthority: str | None) -> MasterPatient | None:
        facility_id = ctx.udc.caller.facility_id
        person = unit_of_work.run(_env(ctx).db, lambda session: mpi.lookup(
            session, identifier, assigningAuthority, facility_ref(session, facility_id)))
        if person is None:
            return None
        f = person.fields
        return MasterPatient(
            enterpriseId=person.enterprise_id,
            identifiers=[PatientIdentifier(value=i.value, assigningAuthority=i.authority or None,
                                           type=i.type) for i in person.identifiers],
            familyName=f["family_name"], givenName=f["given_name"],
            middleName=f["middle_name"], birthDate=f["birth_date"], sex=f["sex"],
            street=f["street"], city=f["city"], state=f["state"],
            postalCode=f["postal_code"], country=f["country"], phone=f["phone"])

    @rpc(optional(DateTime), _args=("since",), _returns=repeated(LengthOfStayAlert),
         _operation_name="listLengthOfStayAlerts",
         _out_message_name="listLengthOfStayAlertsResponse", _out_variable_name="alert")
    def list_length_of_stay_alerts(ctx: MethodContext,
                                   since: dt.datetime | None) -> list[LengthOfStayAlert]:
        facility_id = ctx.udc.caller.facility_id
        rows = unit_of_work.run(_env(ctx).db, lambda session: los.alerts_since(
            session, facility_ref(session, facility_id), as_utc(since)))
        return [LengthOfStayAlert(patientEnterpriseId=a.patient_enterprise_id,
                                  visitNumber=a.visit_number, lengthOfStayDays=a.los_days,
                                  windowAverageDays=a.window_average, windowSize=a.window_size,
                                  time=a.created_at) for a in rows]


_XS = "http://www.w3.org/2001/XMLSchema"


V2XML = "urn:hl7-org:v2xml"
# Relative to the WSDL: ../xsd/ next to wsdl/ in the package, /xsd/ on the server.
V2XML_SCHEMA = "../xsd/hl7v2-any.xsd"


def _type_hl7_payload(doc: Any) -> None:
    """``message`` holds one HL7 v2.xml document, whose types the WSDL imports.

    Spyne would say xs:anyType. The content is not validated at the SOAP layer
    (processContents="skip"): carebridge checks it against its ADT schemas itself and
    answers with an HL7 acknowledgment (AE/AR, located), never a SOAP Fault.
    """
    for schema in doc.root_elt.iter(f"{{{_XS}}}schema"):
        if schema.get("targetNamespace") == TNS:
            schema.insert(0, etree.Element(f"{{{_XS}}}import", namespace=V2XML,
                                           schemaLocation=V2XML_SCHEMA))
    for element in doc.root_elt.iter(f"{{{_XS}}}element"):
        if element.get("name") == "message" and element.get("type") == "xs:anyType":
            del element.attrib["type"]
            complex_type = etree.SubElement(element, f"{{{_XS}}}complexType")
            sequence = etree.SubElement(complex_type, f"{{{_XS}}}sequence")
            etree.SubElement(sequence, f"{{{_XS}}}any", namespace=V2XML,
                             processContents="skip")


def patient_wsgi(env: ServiceEnv) -> WsgiApplication:
    wsgi = soap_application(
        [PatientSubmission],
        tns=TNS,
        name="PatientSubmissionService",
        env=env,
        contract=contract_path("wsdl", PATIENT_SUBMISSION.wsdl),
        port_names={},
        jaxws=False,
    )
    wsgi.doc.wsdl11.event_manager.add_listener("wsdl_document_built", _type_hl7_payload)
    return wsgi
