"""Segments matched to the message structure's groups in v2.xml (sample messages written here).

A tree is written as nested lists: a segment id, or (group name without the
structure's prefix, its children).
"""

from __future__ import annotations

import pytest
from lxml import etree

from carebridge.hl7 import er7, grouping, v2xml

NS = "{urn:hl7-org:v2xml}"
Tree = list[str | tuple[str, "Tree"]]


def msh(message_type: str, version: str) -> str:
    return f"MSH|^~\\&|SND|GHH|RCV|GHH|20240101120000||{message_type}|C1|P|{version}"


def tree_of(*segments: str) -> Tree:
    """The group tree of the message, after checking ER7 -> v2.xml -> ER7 is unchanged."""
    text = "\r".join(segments) + "\r"
    document = v2xml.to_xml(er7.parse(text))
    assert v2xml.from_xml(document).to_er7() == text
    root = etree.fromstring(document)
    return _tree(root, str(root.tag)[len(NS):] + ".")


def _tree(element: etree._Element, prefix: str) -> Tree:
    out: Tree = []
    for child in element:
        tag = str(child.tag)[len(NS):]
        if len(tag) == 3:
            out.append(tag)
        else:
            assert tag.startswith(prefix)
            out.append((tag[len(prefix):], _tree(child, prefix)))
    return out


# -- orders ---------------------------------------------------------------------------------


def test_oml_o21_four_orders_are_four_order_groups() -> None:
    order = ("ORDER", ["ORC", ("OBSERVATION_REQUEST", ["OBR"])])
    assert tree_of(msh("OML^O21^OML_O21", "2.5"), "PID|1||4711^^^GHH^MR||DOE^JANE",
                   "PV1|1|O", "ORC|NW|A1", "OBR|1|A1||CBC", "ORC|NW|A2", "OBR|2|A2||LYTES",
                   "ORC|NW|A3", "OBR|3|A3||TSH", "ORC|NW|A4", "OBR|4|A4||INR") == [
        "MSH", ("PATIENT", ["PID", ("PATIENT_VISIT", ["PV1"])]), order, order, order, order]


def test_oml_o21_orders_with_results_are_not_prior_results() -> None:
    # ORC OBR OBX also fits PRIOR_RESULT/ORDER_PRIOR; the shallower reading wins.
    segments = [msh("OML^O21^OML_O21", "2.5"), "PID|1||4711"]
    for n in range(1, 5):
        segments += [f"ORC|NW|A{n}", f"OBR|{n}|A{n}", f"OBX|1|NM|GLU||{n}", f"NTE|{n}"]
    order = ("ORDER", ["ORC", ("OBSERVATION_REQUEST",
                               ["OBR", ("OBSERVATION", ["OBX", "NTE"])])])
    assert tree_of(*segments) == ["MSH", ("PATIENT", ["PID"]), order, order, order, order]


def test_oml_o21_a_real_prior_result_is_nested() -> None:
    # A PID inside an order can only open PRIOR_RESULT/PATIENT_PRIOR.
    assert tree_of(msh("OML^O21^OML_O21", "2.5"), "PID|1||4711", "ORC|NW|A1", "OBR|1|A1",
                   "PID|1||4711", "ORC|NW|P1", "OBR|1|P1", "OBX|1|NM|GLU||5") == [
        "MSH", ("PATIENT", ["PID"]),
        ("ORDER", ["ORC", ("OBSERVATION_REQUEST", ["OBR", ("PRIOR_RESULT", [
            ("PATIENT_PRIOR", ["PID"]),
            ("ORDER_PRIOR", ["ORC", "OBR", ("OBSERVATION_PRIOR", ["OBX"])])])])])]


def test_orm_o01_orders_with_the_detail_choice() -> None:
    assert tree_of(msh("ORM^O01", "2.3.1"), "PID|1||4711", "PV1|1|O", "ORC|NW|A1",
                   "OBR|1|A1", "NTE|1||fasting", "DG1|1", "OBX|1|ST|Q||yes", "NTE|1||x",
                   "ORC|NW|A2", "RXO|RX1^Drug", "ORC|NW|A3", "BLG|CH") == [
        "MSH", ("PATIENT", ["PID", ("PATIENT_VISIT", ["PV1"])]),
        ("ORDER", ["ORC", ("ORDER_DETAIL", [("CHOICE", ["OBR"]), "NTE", "DG1",
                                            ("OBSERVATION", ["OBX", "NTE"])])]),
        ("ORDER", ["ORC", ("ORDER_DETAIL", [("CHOICE", ["RXO"])])]),
        ("ORDER", ["ORC", "BLG"])]


def test_orm_o01_v25_choice_group_name() -> None:
    detail = ("ORDER_DETAIL", [("OBRRQDRQ1RXOODSODT_SUPPGRP", ["OBR"])])
    assert tree_of(msh("ORM^O01^ORM_O01", "2.5"), "PID|1||4711", "ORC|NW|A1", "OBR|1|A1",
                   "ORC|NW|A2", "OBR|2|A2") == [
        "MSH", ("PATIENT", ["PID"]), ("ORDER", ["ORC", detail]), ("ORDER", ["ORC", detail])]


# -- results --------------------------------------------------------------------------------


def test_oru_r01_several_patients_orders_and_observations() -> None:
    assert tree_of(
        msh("ORU^R01^ORU_R01", "2.5"),
        "PID|1||4711", "PV1|1|O", "ORC|RE|A1", "OBR|1|A1", "NTE|1||order note",
        "OBX|1|NM|GLU||5", "OBX|2|NM|NA||140", "NTE|1||obs note", "OBR|2|A2", "OBX|1|ST|X||y",
        "PID|2||4712", "OBR|1|B1", "OBX|1|NM|K||4", "SPM|1|S1", "OBX|1|ST|SPEC||ok",
    ) == [
        "MSH",
        ("PATIENT_RESULT", [
            ("PATIENT", ["PID", ("VISIT", ["PV1"])]),
            ("ORDER_OBSERVATION", ["ORC", "OBR", "NTE", ("OBSERVATION", ["OBX"]),
                                   ("OBSERVATION", ["OBX", "NTE"])]),
            ("ORDER_OBSERVATION", ["OBR", ("OBSERVATION", ["OBX"])])]),
        ("PATIENT_RESULT", [
            ("PATIENT", ["PID"]),
            ("ORDER_OBSERVATION", ["OBR", ("OBSERVATION", ["OBX"]),
                                   ("SPECIMEN", ["SPM", "OBX"])])]),
    ]


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8"])
def test_oru_r01_two_orders_in_each_version(version: str) -> None:
    tree = tree_of(msh("ORU^R01", version), "PID|1||4711", "OBR|1|A1", "OBX|1|NM|GLU||5",
                   "OBX|2|NM|NA||140", "OBR|2|A2", "OBX|1|NM|K||4")
    [result] = [item for item in tree if isinstance(item, tuple)]
    assert result[0] == ("RESPONSE" if version == "2.3" else "PATIENT_RESULT")
    orders = [item for item in result[1] if isinstance(item, tuple)
              and item[0] == "ORDER_OBSERVATION"]
    assert [[g for g in order[1] if isinstance(g, tuple)] for order in orders] == [
        [("OBSERVATION", ["OBX"]), ("OBSERVATION", ["OBX"])], [("OBSERVATION", ["OBX"])]]


def test_a_long_oru_is_grouped_too() -> None:
    segments = [msh("ORU^R01^ORU_R01", "2.5"), "PID|1||4711", "OBR|1|A1"]
    segments += [f"OBX|{n}|NM|X{n}||{n}" for n in range(1, 151)]
    [_, (_, [_, (_, order)])] = tree_of(*segments)
    assert order == ["OBR", *[("OBSERVATION", ["OBX"])] * 150]


# -- visits and patients --------------------------------------------------------------------


def test_bar_p01_visits() -> None:
    assert tree_of(msh("BAR^P01", "2.5"), "EVN|P01", "PID|1||4711", "ROL|1",
                   "PV1|1|I", "DG1|1", "DG1|2", "PR1|1", "ROL|2",
                   "PV1|2|O", "OBX|1", "IN1|1", "ROL|3", "PV1|3|E") == [
        "MSH", "EVN", "PID", "ROL",
        ("VISIT", ["PV1", "DG1", "DG1", ("PROCEDURE", ["PR1", "ROL"])]),
        ("VISIT", ["PV1", "OBX", ("INSURANCE", ["IN1", "ROL"])]),
        ("VISIT", ["PV1"])]


def test_adt_a40_merges_several_patients() -> None:
    patient = ("PATIENT", ["PID", "MRG", "PV1"])
    assert tree_of(msh("ADT^A40^ADT_A39", "2.3.1"), "EVN|A40", "PID|1||1", "MRG|9",
                   "PV1|1|I", "PID|1||2", "MRG|8", "PV1|1|I") == ["MSH", "EVN", patient, patient]


def test_adt_a01_keeps_its_shape() -> None:
    assert tree_of(msh("ADT^A01", "2.3.1"), "EVN|A01", "PID|1||4711", "NK1|1", "PV1|1|I",
                   "OBX|1", "AL1|1", "DG1|1", "PR1|1", "ROL|1", "PR1|2", "GT1|1", "IN1|1",
                   "IN2|1", "IN3|1", "IN1|2") == [
        "MSH", "EVN", "PID", "NK1", "PV1", "OBX", "AL1", "DG1",
        ("PROCEDURE", ["PR1", "ROL"]), ("PROCEDURE", ["PR1"]), "GT1",
        ("INSURANCE", ["IN1", "IN2", "IN3"]), ("INSURANCE", ["IN1"])]


# -- what does not fit ----------------------------------------------------------------------


def test_z_segments_stay_beside_the_segment_before_them() -> None:
    assert tree_of(msh("ORU^R01^ORU_R01", "2.5"), "PID|1||4711", "ZPI|x", "OBR|1",
                   "OBX|1", "ZOB|y", "OBX|2") == [
        "MSH", ("PATIENT_RESULT", [("PATIENT", ["PID", "ZPI"]), ("ORDER_OBSERVATION", [
            "OBR", ("OBSERVATION", ["OBX", "ZOB"]), ("OBSERVATION", ["OBX"])])])]


def test_a_segment_that_fits_nowhere_stays_at_the_root_in_place() -> None:
    # ORM_O01 has one PATIENT, before the orders: the second PID can go nowhere.
    assert tree_of(msh("ORM^O01", "2.3.1"), "PID|1||4711", "ORC|NW|A1", "OBR|1",
                   "PID|1||4712", "ORC|NW|A2", "OBR|2") == [
        "MSH", ("PATIENT", ["PID"]),
        ("ORDER", ["ORC", ("ORDER_DETAIL", [("CHOICE", ["OBR"])])]),
        "PID",
        ("ORDER", ["ORC", ("ORDER_DETAIL", [("CHOICE", ["OBR"])])])]


def test_a_missing_required_segment_still_groups_the_rest() -> None:
    # No OBR before the OBX (required in ORDER_OBSERVATION): still an observation group.
    assert tree_of(msh("ORU^R01^ORU_R01", "2.5"), "PID|1||4711", "OBX|1", "NTE|1",
                   "OBR|2", "OBX|2") == [
        "MSH", ("PATIENT_RESULT", [
            ("PATIENT", ["PID"]),
            ("ORDER_OBSERVATION", [("OBSERVATION", ["OBX", "NTE"])]),
            ("ORDER_OBSERVATION", ["OBR", ("OBSERVATION", ["OBX"])])])]


def test_out_of_order_segments_are_kept_in_order() -> None:
    assert tree_of(msh("ADT^A01", "2.5"), "EVN|A01", "PV1|1|I", "PID|1||4711", "NK1|1") == [
        "MSH", "EVN", "PV1", "PID", "NK1"]


def test_unknown_structure_is_flat() -> None:
    assert tree_of(msh("ZZZ^Z01", "2.5"), "PID|1", "OBR|1") == ["MSH", "PID", "OBR"]


def test_the_shape_is_cached_by_segment_ids() -> None:
    ids = ("MSH", "PID", "ORC", "OBR", "ORC", "OBR")
    first = grouping.shape("2.5", "OML_O21", ids)
    assert grouping.shape("2.5", "OML_O21", ids) is first
    assert first == (0, ("OML_O21.PATIENT", (1,)),
                     ("OML_O21.ORDER", (2, ("OML_O21.OBSERVATION_REQUEST", (3,)))),
                     ("OML_O21.ORDER", (4, ("OML_O21.OBSERVATION_REQUEST", (5,)))))
