"""Reading v2.xml: the cases the reader's short paths must still get right.

Most elements are text only, in position order, so the reader treats those quickly; these
tests pin down everything else: parts out of order or repeated, gaps, comments and
processing instructions in a tree built by hand, escapes, names without a position, and
text holding delimiters or line breaks.
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from carebridge.hl7 import v2xml
from carebridge.hl7.exceptions import Location, ParseError

NS = "{urn:hl7-org:v2xml}"
HEAD = ('<ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2>'
        "<MSH.9><MSG.1>ADT</MSG.1><MSG.2>A01</MSG.2></MSH.9></MSH>")


def read(body: str, head: str = HEAD) -> list[str]:
    """The ER7 segments of HEAD + body."""
    return v2xml.from_xml(head + body + "</ADT_A01>").to_er7().split("\r")[:-1]


def test_fields_and_components_out_of_order_and_with_gaps_keep_their_positions() -> None:
    body = ("<PID><PID.5><XPN.3>Q</XPN.3><XPN.1>DOE</XPN.1></PID.5><PID.2>7</PID.2>"
            "<PID.3><CX.1>1</CX.1></PID.3><PID.3><CX.4>H</CX.4></PID.3><PID.2>8</PID.2></PID>")
    assert read(body)[1] == "PID||7~8|1~^^^H||DOE^^Q"


def test_a_later_part_at_the_same_position_replaces_the_earlier_one() -> None:
    assert read("<PID><PID.5><XPN.1>A</XPN.1><XPN.1>B</XPN.1></PID.5></PID>")[1] == "PID|||||B"
    assert read("", HEAD.replace("<MSH.1>|</MSH.1>", "<MSH.1>#</MSH.1><MSH.1>|</MSH.1>")
                )[0] == "MSH|^~\\&|||||||ADT^A01"


def test_empty_repetitions_and_empty_components_stay_in_place() -> None:
    body = "<NK1><NK1.2/><NK1.2><XPN.2>J</XPN.2></NK1.2><NK1.3><CE.2/></NK1.3></NK1>"
    assert read(body)[1] == "NK1||~^J|^"


def test_comments_and_processing_instructions_are_skipped_but_their_tails_are_text() -> None:
    root = etree.fromstring(HEAD + "<NTE><NTE.3>A</NTE.3></NTE></ADT_A01>")
    nte, text = root[1], root[1][0]
    nte.insert(0, etree.Comment("before the field"))
    nte.append(etree.ProcessingInstruction("note", "after it"))
    comment = etree.Comment("inside")
    comment.tail = "B"
    text.append(comment)
    root.append(etree.Comment("after the segments"))
    assert v2xml.from_xml(root).raw("NTE-3") == "AB"
    # The same document as bytes: the parser drops comments and PIs, keeping their tails.
    assert v2xml.from_xml(etree.tostring(root)).to_er7() == v2xml.from_xml(root).to_er7()


def test_text_with_delimiters_or_line_breaks_is_escaped_and_plain_text_is_not() -> None:
    body = ("<NTE><NTE.1>a|b^c~d\\e&amp;f</NTE.1><NTE.3>x\ny</NTE.3>"
            "<NTE.4><CE.1>1&amp;2</CE.1><CE.2>plain (416) 555-0142</CE.2></NTE.4></NTE>")
    assert read(body)[1] == ("NTE|a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f||x\\X0A\\y|"
                             "1\\T\\2^plain (416) 555-0142")


def test_escapes_mixed_with_text_and_a_comment() -> None:
    root = etree.fromstring(HEAD + '<NTE><NTE.3>A<escape xmlns="" V=".br"/>B</NTE.3></NTE>'
                            "</ADT_A01>")
    root[1][0].insert(0, etree.Comment("c"))
    assert v2xml.from_xml(root).raw("NTE-3") == "A\\.br\\B"


def test_names_without_a_position_are_refused_where_they_are() -> None:
    with pytest.raises(ParseError, match=re.escape("element PID.x does not end")) as field:
        read("<PID><PID.1>1</PID.1><PID.x>2</PID.x></PID>")
    assert field.value.location == Location("PID")
    with pytest.raises(ParseError, match="element escape does not end") as escape:
        read('<PID><escape xmlns="" V="H"/></PID>')
    assert escape.value.location == Location("PID")
    with pytest.raises(ParseError, match=re.escape("element XPN.0 does not end")) as component:
        read("<PID><PID.5><XPN.0>A</XPN.0></PID.5></PID>")
    assert component.value.location == Location()
    with pytest.raises(ParseError, match=re.escape("element {other}escape does not end")):
        read('<PID><PID.5><escape xmlns="other"/>A</PID.5></PID>')


def test_the_first_position_error_is_reported_before_a_later_segments_render_error() -> None:
    # Positions of every segment's fields are read before any field is rendered.
    body = "<PID><PID.5><XPN.x>A</XPN.x></PID.5></PID><NK1><NK1.y>1</NK1.y></NK1>"
    with pytest.raises(ParseError, match=re.escape("element NK1.y does not end")):
        read(body)


def test_subcomponents_need_a_subcomponent_separator() -> None:
    head = HEAD.replace("^~\\&amp;", "^~\\")
    assert read("<PID><PID.3><CX.4><HD.1>H</HD.1></CX.4></PID.3></PID>", head)[1] == "PID|||^^^H"
    with pytest.raises(ParseError, match=re.escape("CX.4 has subcomponents, but MSH.2 names no")):
        read("<PID><PID.3><CX.4><HD.1>H</HD.1><HD.2>I</HD.2></CX.4></PID.3></PID>", head)


def test_doctype_is_refused_in_any_case() -> None:
    for declaration in ("<!DOCTYPE ADT_A01>", "<!doctype ADT_A01>", "<!DocType ADT_A01>"):
        with pytest.raises(ParseError, match="DOCTYPE declarations are not allowed"):
            v2xml.from_xml(declaration + HEAD + "</ADT_A01>")


def test_many_distinct_names_do_not_grow_the_reader_without_bound() -> None:
    ids = [f"Z{n:02d}" for n in range(100)]  # 100 segments of 50 fields: 5,000 tags
    assert len(ids) * 50 > v2xml._NUMBERS_MAX
    body = "".join(f"<{i}>" + "".join(f"<{i}.{n}>{n}</{i}.{n}>" for n in range(1, 51))
                   + f"</{i}>" for i in ids)
    segments = read(body)
    assert segments[-1].split("|")[-1] == "50" and len(segments) == 101
    assert len(v2xml._NUMBERS) <= v2xml._NUMBERS_MAX + 3  # + comment, PI and entity


@pytest.mark.parametrize(("body", "path", "raw"), [
    ("<PID><PID.8>F&amp;M</PID.8></PID>", "PID-8", "F\\T\\M"),
    ("<PID><PID.5><XPN.2>A^B</XPN.2></PID.5></PID>", "PID-5.2", "A\\S\\B"),
    ("<PID><PID.3><CX.4><HD.1>H~I</HD.1></CX.4></PID.3></PID>", "PID-3.4.1", "H\\R\\I"),
    ("<PID><PID.11><XAD.1><SAD.1>1 A|B ST</SAD.1></XAD.1></PID.11></PID>", "PID-11.1.1",
     "1 A\\F\\B ST"),
    ("<PID><PID.13>a&#13;b</PID.13></PID>", "PID-13", "a\\X0D\\b"),
])
def test_one_delimiter_anywhere_outside_msh_1_and_2_is_escaped(body: str, path: str,
                                                                 raw: str) -> None:
    assert v2xml.from_xml(HEAD + body + "</ADT_A01>").raw(path) == raw


def test_a_second_msh_1_or_msh_2_does_not_hide_a_delimiter_elsewhere() -> None:
    head = HEAD.replace("<MSH.1>|</MSH.1>", "<MSH.1>|</MSH.1><MSH.1>|</MSH.1>")
    assert read("<PID><PID.8>F|M</PID.8></PID>", head)[1] == "PID||||||||F\\F\\M"
    head = HEAD.replace("</MSH.2>", "</MSH.2><MSH.2>^~\\&amp;</MSH.2>")
    assert read("<PID><PID.8>F&amp;M</PID.8></PID>", head)[1] == "PID||||||||F\\T\\M"


@pytest.mark.parametrize("tag", ["PID.999999999", "XPN.1000", "PID.5.12345678901234567890"])
def test_a_position_no_hl7_element_has_is_refused_before_anything_is_built(tag: str) -> None:
    """Positions are list indexes: an attacker's <PID.999999999> must not allocate them."""
    document = ('<ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;'
                f'</MSH.2></MSH><PID><{tag}>x</{tag}></PID></ADT_A01>')
    with pytest.raises(ParseError, match="names position"):
        v2xml.from_xml(document)
