"""Open311 answers in the two formats of GeoReport v2: JSON, and XML shaped as the spec's
examples (``<services><service>…``, ``<service_requests><request>…``,
``<service_definition>…<attributes><attribute>…<values><value>``, ``<discovery>…
<endpoints><endpoint>…<formats><format>``, ``<errors><error><code>…``).

The format is the path's suffix (``services.xml``, ``requests/{id}.json``). An answer is
written once as plain data (lists and dicts) and rendered here; XML is built with
ElementTree, so every text is escaped by it.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from flask import Response, json

FORMATS = ("xml", "json")  # XML first, the spec's own default
JSON_TYPE = "application/json"
# the formats by their media types, as the discovery document names them
MEDIA_TYPES = {"xml": "text/xml", "json": JSON_TYPE}

# The spec's element name for each item of a list, by the list's own name
ITEM_NAMES = {"services": "service", "service_requests": "request", "errors": "error",
              "attributes": "attribute", "values": "value", "endpoints": "endpoint",
              "formats": "format"}


def format_of(path: str) -> str:
    """The format a path asks for: XML for ``….xml``, JSON for anything else (the format
    of an error on a path that names none)."""
    return "xml" if path.endswith(".xml") else "json"


def xml_text(value: object) -> str | None:
    """A value as XML text: true/false as JSON writes them, nothing for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def element(name: str, value: object) -> ET.Element:
    """``value`` as the element ``name``: a dict's keys as children in order, a list's
    items as children named by ITEM_NAMES, anything else as text."""
    node = ET.Element(name)
    if isinstance(value, dict):
        node.extend(element(key, item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        node.extend(element(ITEM_NAMES[name], item) for item in value)
    else:
        node.text = xml_text(value)
    return node


def as_xml(root: str, body: object) -> bytes:
    return ET.tostring(element(root, body), encoding="utf-8", xml_declaration=True)


def answer(fmt: str, root: str, body: object, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """``body`` (a list or a dict) in ``fmt``; in XML under the element ``root``."""
    if fmt == "xml":
        return Response(as_xml(root, body), status=status, mimetype="text/xml",
                        headers=headers)
    return Response(json.dumps(body), status=status, mimetype=JSON_TYPE, headers=headers)


def errors(fmt: str, status: int, descriptions: Iterable[str],
           headers: dict[str, str] | None = None) -> Response:
    """The spec's error answer, one ``{code, description}`` a problem, the HTTP status as
    the code: ``[{"code": 404, "description": "…"}]`` or ``<errors><error>…``."""
    listed = [{"code": status, "description": text} for text in descriptions]
    return answer(fmt, "errors", listed, status, headers)
