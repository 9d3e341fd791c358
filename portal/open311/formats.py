"""The two formats of GeoReport v2: XML (required, with a declaration, UTF-8) and JSON, mapped
from the same records by the specification's "Spark" convention: a list root becomes an array,
a single record an object. Field order follows the specification's examples."""

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from flask import Response

from portal.clock import LOCAL_ZONE

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
XML = "xml"
JSON = "json"
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
# The element of each item in a list, by the list's element name.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all: dropped, so that every document stays well-formed.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text a client sent, without the control characters no database or XML should hold (a
    NUL, which PostgreSQL refuses); line breaks and tabs stay."""
    return _NOT_IN_XML.sub("", text).strip()


def w3c(moment: datetime | None) -> str | None:
    """2026-12-02T08:15:30+08:00: the W3C profile of ISO 8601, with the offset, in Shanghai."""
    return moment.astimezone(LOCAL_ZONE).isoformat(timespec="seconds") if moment else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_IN_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            _fill(ElementTree.SubElement(element, name), inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            _fill(ElementTree.SubElement(element, ITEM[element.tag]), inner)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Mapping | Iterable) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, value if isinstance(value, Mapping) else list(value))
    # The declaration as the specification writes it (ElementTree's own uses single quotes).
    return DECLARATION + ElementTree.tostring(element, encoding="unicode").encode()


def respond(fmt: str, root: str, value: Mapping | Iterable, status: int = 200) -> Response:
    """One document: `root` is the XML root element (JSON drops it, by the convention)."""
    if fmt == JSON:
        # JSON escapes every control character itself: nothing to take out.
        body = json.dumps(
            value if isinstance(value, Mapping) else list(value), ensure_ascii=False
        ).encode()
    else:
        body = to_xml(root, value)
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: Iterable[str], code: int | None = None):
    """The specification's error document: one <error> per problem, code = the HTTP status."""
    return respond(
        fmt,
        "errors",
        [{"code": code or status, "description": str(d)} for d in descriptions],
        status=status,
    )


def format_of(path: str) -> str:
    """The format a path asks for by its suffix; XML, the required one, when it names neither."""
    return JSON if path.endswith(".json") else XML
