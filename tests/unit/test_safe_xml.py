import pytest

from carebridge.soap import safe_xml
from carebridge.soap.exceptions import MalformedXml, UnsafeXml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY,
                                      b"<!DOCTYPE a SYSTEM 'http://127.0.0.1:9/x.dtd'><a/>"])
def test_any_doctype_is_refused(document: bytes) -> None:
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        safe_xml.parse(document)


def test_doctype_after_a_long_comment_is_still_refused() -> None:
    document = b"<!--" + b"x" * 10000 + b"-->" + EXTERNAL_ENTITY.split(b"?>", 1)[1]
    with pytest.raises(UnsafeXml):
        safe_xml.parse(document)


def test_deep_nesting_is_refused() -> None:
    document = b"<a>" * 150 + b"</a>" * 150
    with pytest.raises(UnsafeXml, match="nesting"):
        safe_xml.parse(document)


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(MalformedXml) as info:
        safe_xml.parse(b"<a>\n  <b></a>")
    assert info.value.line == 2
    assert "line 2" in str(info.value)


def test_ordinary_documents_parse() -> None:
    root = safe_xml.parse(b"<a xmlns='urn:x'><b>1</b></a>")
    assert root.tag == "{urn:x}a" and root[0].text == "1"
