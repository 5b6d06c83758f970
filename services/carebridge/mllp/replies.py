"""What the sender gets back over MLLP for one stored reply: the acknowledgments its
MSH-15 and MSH-16 ask for (HL7 table 0155), in order, on the same connection.

Original mode (both empty): the application acknowledgment (AA/AE/AR). Enhanced mode:
the accept acknowledgment (CA/CE/CR) when MSH-15 asks, then the application one when
MSH-16 asks; an empty one of the two counts as AL (always). Both are written only after
the message committed, so a CA means the same as an AA: the message is stored. v2.xml
messages are answered in original mode (their ACK is one XML document).
"""

from __future__ import annotations

from carebridge.hl7 import er7
from carebridge.hl7.exceptions import HL7Error
from carebridge.mllp.header import Header
from carebridge.patients.submit import Reply

ACCEPT_CODES = {"AA": "CA", "AE": "CE", "AR": "CR"}


def acknowledgments(header: Header, reply: Reply) -> list[str]:
    if not header.enhanced or header.encoding != "er7":
        return [reply.ack]
    success = reply.ack_code == "AA"
    out = []
    if _wanted(header.accept_ack_type, success):
        out.append(accept_ack(reply))
    if _wanted(header.application_ack_type, success):
        out.append(reply.ack)
    return out


def _wanted(condition: str, success: bool) -> bool:
    condition = condition or "AL"
    return (condition == "AL" or (condition == "ER" and not success)
            or (condition == "SU" and success))


def accept_ack(reply: Reply) -> str:
    """The application ACK made an accept ACK: MSA-1 C*, its own control id (the same for
    every resend of the message)."""
    try:
        message = er7.parse(reply.ack)
    except HL7Error:  # carebridge wrote it; cannot happen, but never answer nothing
        return reply.ack
    msa = message.segment("MSA")
    if msa is None or len(msa.fields) < 2:
        return reply.ack
    msa.fields[1] = ACCEPT_CODES.get(msa.fields[1], msa.fields[1])
    if len(message.msh.fields) > 10 and reply.ack_control_id:
        # "Z" is no hex digit: never the application ACK's own id (a "C" was, 1 in 16).
        message.msh.fields[10] = "Z" + reply.ack_control_id[1:]
    return message.to_er7()
