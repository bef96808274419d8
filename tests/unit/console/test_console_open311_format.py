"""Open311 answers rendered as the spec's XML: read back with a real parser."""
import xml.etree.ElementTree as ET

from services.console.open311_format import as_xml, format_of


def test_a_list_of_requests_is_service_requests_of_request_elements():
    body = [{"service_request_id": "YP20261123-0001", "description": "<b>灯</b> & 电线",
             "lat": None, "metadata": True},
            {"service_request_id": "YP20261123-0002", "description": None, "lat": 31.3,
             "metadata": False}]
    root = ET.fromstring(as_xml("service_requests", body))
    assert root.tag == "service_requests"
    first, second = root.findall("request")
    assert [child.tag for child in first] == ["service_request_id", "description", "lat",
                                              "metadata"]
    assert first.findtext("description") == "<b>灯</b> & 电线"  # escaped, read back as sent
    assert (first.find("lat").text, first.findtext("metadata")) == (None, "true")
    assert (second.findtext("lat"), second.findtext("metadata")) == ("31.3", "false")


def test_nested_lists_take_the_spec_item_names():
    definition = {"service_code": "street_light", "attributes": [
        {"code": "kind", "values": [{"key": "help", "name": "求助"}]}]}
    root = ET.fromstring(as_xml("service_definition", definition))
    assert root.findtext("attributes/attribute/values/value/name") == "求助"
    errors = ET.fromstring(as_xml("errors", [{"code": 404, "description": "no such"}]))
    assert errors.findtext("error/code") == "404"


def test_the_path_suffix_names_the_format():
    assert format_of("/open311/v2/services.xml") == "xml"
    assert format_of("/open311/v2/requests/YP1.json") == "json"
    assert format_of("/open311/nowhere") == "json"
