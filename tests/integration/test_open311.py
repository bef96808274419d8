"""Open311 GeoReport v2 as an integrator meets it, over the running services: every method
in JSON and in XML, each answer checked against the shape of the spec's own examples
(wiki.open311.org/GeoReport_v2), the XML read with a real parser (xml.etree); the spec's
errors and status codes; and the published ``georeport`` client reading services, a
service definition and requests in both formats over HTTP."""
from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy
from werkzeug.serving import make_server

from services.shared import clock

ROOT = "/open311/v2"
ADMIN_ACTOR = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
FORMATS = ("json", "xml")

# The elements of the spec's examples, in their order
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords",
           "group"]
ATTRIBUTE = ["variable", "code", "datatype", "required", "datatype_description", "order",
             "description", "values"]
REQUEST = ["service_request_id", "status", "status_notes", "service_name", "service_code",
           "description", "agency_responsible", "service_notice", "requested_datetime",
           "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
           "lat", "long", "media_url"]
CREATED = ["service_request_id", "service_notice", "account_id"]
ENDPOINT = ["specification", "url", "changeset", "type", "formats"]


@pytest.fixture(scope="module")
def client(console_app):
    return console_app.test_client()


@pytest.fixture(scope="module")
def api_key(console_system) -> str:
    """An agent's API token: what the city's app posts with."""
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        return rpc.accounts.issue_token("zhou", "the city's app", ADMIN_ACTOR)["token"]


@pytest.fixture(scope="module")
def endpoint(console_app) -> Iterator[str]:
    """The console served over HTTP on a port of its own: the Open311 endpoint's URL."""
    server = make_server("127.0.0.1", 0, console_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{ROOT}"
    server.shutdown()


def xml_of(answer) -> ET.Element:
    assert answer.mimetype == "text/xml", answer.data[:200]
    return ET.fromstring(answer.data)


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def a_phone() -> str:
    """A caller's phone of their own: two posts of one caller about one matter merge."""
    return f"139{uuid.uuid4().int % 10**8:08d}"


def spec_example_request(api_key: str, **changes) -> dict:
    """The POST of the spec's example, in our city: a form, every field filled (each post
    by a caller of their own)."""
    return {"api_key": api_key, "service_code": "street_light", "lat": "31.3206",
            "long": "121.5302", "address_string": "国和小区8号楼东侧",
            "email": "smit222@sfgov.edu", "device_id": "tt222111", "account_id": "123456",
            "first_name": "阿姨", "last_name": "王", "phone": a_phone(),
            "description": f"8号楼东侧路灯不亮 {uuid.uuid4().hex[:6]}",
            "media_url": "https://example.com/lamp.jpg",
            "attribute[subdistrict]": "殷行街道", "attribute[community]": "国和居民区", **changes}


def posted(client, api_key: str, fmt: str = "json", **changes) -> str:
    answer = client.post(f"{ROOT}/requests.{fmt}", data=spec_example_request(api_key, **changes))
    assert answer.status_code == 201, answer.data
    if fmt == "xml":
        return xml_of(answer).findtext("request/service_request_id")
    return answer.get_json()[0]["service_request_id"]


def recorded(client, number: str, fmt: str = "json"):
    """The request once the ledger has recorded it (a moment after intake answered)."""
    def found():
        answer = client.get(f"{ROOT}/requests/{number}.{fmt}")
        return answer if answer.status_code == 200 else None
    return eventually(found)


# Discovery
def test_the_discovery_document_points_at_the_v2_endpoint_in_both_formats(client):
    document = client.get("/open311/discovery.json").get_json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(document)
    [endpoint] = document["endpoints"]
    assert set(endpoint) == set(ENDPOINT)  # a JSON object's keys have no order
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"http://localhost{ROOT}" and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}

    root = xml_of(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("changeset") == document["changeset"]
    [element] = root.findall("endpoints/endpoint")
    assert tags(element) == ENDPOINT
    assert element.findtext("url") == endpoint["url"]
    assert [f.text for f in element.findall("formats/format")] == endpoint["formats"]
    assert client.get(f"{ROOT}/discovery.xml").data == client.get("/open311/discovery.xml").data


# GET services
def test_services_are_listed_in_both_formats_each_with_a_definition(client):
    listed = client.get(f"{ROOT}/services.json").get_json()
    assert len(listed) == 11 and all(set(service) == set(SERVICE) for service in listed)
    lamp = next(s for s in listed if s["service_code"] == "street_light")
    assert lamp == {"service_code": "street_light", "service_name": "路灯",
                    "description": "路灯、楼道灯不亮或损坏", "metadata": True,
                    "type": "realtime", "keywords": "路灯,楼道灯,照明", "group": "市政设施"}

    root = xml_of(client.get(f"{ROOT}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == 11 and all(tags(s) == SERVICE for s in services)
    lamp_xml = next(s for s in services if s.findtext("service_code") == "street_light")
    assert {child.tag: child.text for child in lamp_xml} == {
        **lamp, "metadata": "true"}


# GET service definition
def test_a_service_definition_declares_its_attributes_in_both_formats(client):
    definition = client.get(f"{ROOT}/services/street_light.json").get_json()
    assert definition["service_code"] == "street_light"
    assert all(set(attribute) == set(ATTRIBUTE) for attribute in definition["attributes"])
    by_code = {attribute["code"]: attribute for attribute in definition["attributes"]}
    assert set(by_code) == {"district", "subdistrict", "community", "estate", "building",
                            "kind"}
    assert by_code["subdistrict"]["datatype"] == "string"
    assert by_code["subdistrict"]["required"] is False and by_code["kind"]["variable"]
    assert by_code["kind"]["datatype"] == "singlevaluelist"
    assert {"key": "complaint", "name": "投诉"} in by_code["kind"]["values"]
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3, 4, 5, 6]

    root = xml_of(client.get(f"{ROOT}/services/street_light.xml"))
    assert root.tag == "service_definition" and tags(root) == ["service_code", "attributes"]
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == [a["code"] for a in
                                                       definition["attributes"]]
    assert all(tags(a) == ATTRIBUTE for a in attributes)
    kind = next(a for a in attributes if a.findtext("code") == "kind")
    assert (kind.findtext("variable"), kind.findtext("required")) == ("true", "false")
    assert [(v.findtext("key"), v.findtext("name")) for v in kind.findall("values/value")] \
        == [(v["key"], v["name"]) for v in by_code["kind"]["values"]]

    for fmt in FORMATS:
        assert client.get(f"{ROOT}/services/lamps.{fmt}").status_code == 404


# POST requests, GET requests/{id}
def test_a_request_posted_in_either_format_is_followed_in_both(client, api_key):
    example = spec_example_request(api_key)
    answer = client.post(f"{ROOT}/requests.xml", data=example)
    assert answer.status_code == 201
    root = xml_of(answer)
    assert root.tag == "service_requests" and tags(root) == ["request"]
    assert tags(root.find("request")) == CREATED
    assert root.findtext("request/account_id") == "123456"
    number = root.findtext("request/service_request_id")
    assert number in root.findtext("request/service_notice")

    answer = client.post(f"{ROOT}/requests.json", data=spec_example_request(
        api_key, description=f"国和小区3号楼路灯不亮 {uuid.uuid4().hex[:6]}"))
    assert answer.status_code == 201
    [made] = answer.get_json()
    assert set(made) == set(CREATED) and made["account_id"] == "123456"

    [found] = recorded(client, number).get_json()
    assert set(found) == set(REQUEST)
    assert (found["service_request_id"], found["status"], found["service_code"]) == \
        (number, "open", "street_light")
    assert found["service_name"] == "路灯"
    assert found["media_url"] == "https://example.com/lamp.jpg"  # kept and returned
    assert found["description"].startswith("8号楼东侧路灯不亮")
    assert found["address_id"] == "杨浦区/殷行街道/国和居民区"
    assert found["requested_datetime"].endswith("Z")
    assert example["phone"][-8:] not in str(found) and "王阿姨" not in str(found)

    root = xml_of(recorded(client, number, "xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert tags(request) == REQUEST
    assert {child.tag: child.text for child in request} == {
        key: value for key, value in found.items()} | {
        key: None for key, value in found.items() if value is None}


def test_empty_arguments_are_absent_and_a_description_may_be_left_out(client, api_key):
    number = posted(client, api_key, media_url="", email="", description="",
                    **{"attribute[kind]": ""})
    [found] = recorded(client, number).get_json()
    assert found["media_url"] is None
    assert found["description"] == "路灯 (未填写描述)"


def test_a_request_located_by_address_id_alone(client, api_key):
    form = spec_example_request(api_key, address_id="杨浦区/殷行街道/开鲁新村/开鲁新村/12号")
    for field in ("lat", "long", "address_string", "attribute[subdistrict]",
                  "attribute[community]"):
        form.pop(field)
    answer = client.post(f"{ROOT}/requests.json", data=form)
    assert answer.status_code == 201, answer.get_json()
    [made] = answer.get_json()
    [found] = recorded(client, made["service_request_id"]).get_json()
    assert found["address"] == "杨浦区 殷行街道 开鲁新村"
    assert found["address_id"] == "杨浦区/殷行街道/开鲁新村"  # no finer in public

    unknown = client.post(f"{ROOT}/requests.xml", data={**form, "address_id": "杨浦区/无此街道"})
    assert unknown.status_code == 400
    [error] = xml_of(unknown).findall("error")
    assert error.findtext("code") == "400" and "address_id" in error.findtext("description")


# GET requests (query)
def test_requests_are_queried_and_paged_in_both_formats(client, api_key):
    numbers = [posted(client, api_key, service_code="parking",
                      description=f"占道停车 {i} {uuid.uuid4().hex[:6]}")
               for i in range(3)]
    for number in numbers:
        recorded(client, number)
    query = "service_code=parking&status=open&page_size=2"
    first = client.get(f"{ROOT}/requests.json?{query}")
    assert first.status_code == 200
    page_one = [r["service_request_id"] for r in first.get_json()]
    assert len(page_one) == 2 and 'rel="next"' in first.headers["Link"]
    assert "page=2" in first.headers["Link"]

    second = client.get(f"{ROOT}/requests.xml?{query}&page=2")
    root = xml_of(second)
    assert root.tag == "service_requests"
    page_two = [r.findtext("service_request_id") for r in root.findall("request")]
    assert not set(page_one) & set(page_two)
    assert set(numbers) <= set(page_one + page_two) | set(
        r["service_request_id"] for page in range(3, 10) for r in
        client.get(f"{ROOT}/requests.json?{query}&page={page}").get_json())
    assert all(r.findtext("service_code") == "parking" for r in root.findall("request"))

    by_id = client.get(f"{ROOT}/requests.xml?service_request_id={numbers[0]},YP20990101-1")
    assert [r.findtext("service_request_id") for r in xml_of(by_id).findall("request")] == \
        [numbers[0]]
    # empty arguments are absent: the default window and page
    assert client.get(f"{ROOT}/requests.json?start_date=&end_date=&status=&page=").status_code \
        == 200


# GET tokens/{token}
def test_tokens_are_never_issued_so_none_is_found(client):
    assert client.get(f"{ROOT}/tokens/abc123.json").get_json()[0]["code"] == 404
    root = xml_of(client.get(f"{ROOT}/tokens/abc123.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"


# Errors: the spec's list, in the path's format, with the spec's status codes
@pytest.mark.parametrize("method, path, status", [
    ("get", f"{ROOT}/services/lamps.xml", 404),
    ("get", f"{ROOT}/requests/YP20990101-1.xml", 404),
    ("get", f"{ROOT}/requests.xml?service_code=lamps", 404),
    ("get", f"{ROOT}/requests.xml?start_date=yesterday", 400),
    ("get", f"{ROOT}/requests.xml?page_size=5000", 400),
    ("get", f"{ROOT}/requests.xml?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
     400),
    ("post", f"{ROOT}/requests.xml", 403),
    ("get", f"{ROOT}/nothing-here.xml", 404),
    ("delete", f"{ROOT}/services.xml", 405),
])
def test_every_error_is_the_spec_error_list_in_xml(client, method, path, status):
    answer = getattr(client, method)(path)
    assert answer.status_code == status
    root = xml_of(answer)
    assert root.tag == "errors" and root.findall("error")
    for error in root.findall("error"):
        assert tags(error) == ["code", "description"]
        assert error.findtext("code") == str(status) and error.findtext("description")


@pytest.mark.parametrize("method, path, status", [
    ("get", f"{ROOT}/services/lamps.json", 404),
    ("get", f"{ROOT}/requests/YP20990101-1.json", 404),
    ("get", "/open311/nowhere", 404),
    ("get", f"{ROOT}/services.csv", 404),
    ("put", f"{ROOT}/requests.json", 405),
    ("post", f"{ROOT}/services.json", 405),
])
def test_every_error_is_the_spec_error_array_in_json(client, method, path, status):
    answer = getattr(client, method)(path)
    assert answer.status_code == status
    errors = answer.get_json()
    assert isinstance(errors, list) and errors
    assert all(set(error) == {"code", "description"} and error["code"] == status
               for error in errors)
    if status == 405:
        assert "GET" in answer.headers["Allow"]


def test_a_query_out_of_bounds_is_refused_naming_the_argument_sent(client):
    too_many = ",".join(f"YP20990101-{n}" for n in range(1, 202))
    answer = client.get(f"{ROOT}/requests.json?service_request_id={too_many}")
    assert answer.status_code == 400
    assert "service_request_id" in answer.get_json()[0]["description"]
    reversed_period = client.get(f"{ROOT}/requests.json?start_date=2026-12-06T00:00:00Z"
                                 "&end_date=2026-12-01T00:00:00Z")
    assert reversed_period.status_code == 400
    assert "end_date" in reversed_period.get_json()[0]["description"]


def test_the_discovery_changeset_is_a_w3c_datetime(client):
    changeset = client.get("/open311/discovery.json").get_json()["changeset"]
    assert clock.parse_iso(changeset).tzinfo is not None and changeset.endswith("Z")


def test_posting_answers_403_404_and_400_as_the_spec_says(client, api_key):
    for fmt in FORMATS:
        without_key = client.post(f"{ROOT}/requests.{fmt}", data=spec_example_request(""))
        assert without_key.status_code == 403
        bad_key = client.post(f"{ROOT}/requests.{fmt}",
                              data=spec_example_request("hlt_no_such"))
        assert bad_key.status_code == 403
        unknown = client.post(f"{ROOT}/requests.{fmt}",
                              data=spec_example_request(api_key, service_code="lamps"))
        assert unknown.status_code == 404
    bad = client.post(f"{ROOT}/requests.json", data={
        "api_key": api_key, "phone": "12345", "lat": "31.3", "media_url": "javascript:x"})
    assert bad.status_code == 400
    described = " ".join(error["description"] for error in bad.get_json())
    for field in ("service_code", "phone", "long", "media_url"):
        assert field in described


# A published client: georeport, from PyPI, reads what we answer in both formats
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_georeport_client_reads_services_definitions_and_requests(
        client, api_key, endpoint, fmt):
    from georeport import GeoReport

    number = posted(client, api_key)
    recorded(client, number)
    reader = GeoReport(endpoint, output_format=fmt)

    services = reader.get_service_list()
    assert len(services) == 11
    lamp = next(s for s in services if s["service_code"] == "street_light")
    assert lamp["service_name"] == "路灯"
    assert lamp["metadata"] in (True, "true")

    definition = reader.get_service_definition("street_light")
    assert definition["service_code"] == "street_light"
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: the repeated element, as a list
        attributes = attributes["attribute"]
    assert "subdistrict" in [attribute["code"] for attribute in attributes]

    one = reader.get_service_request(number)
    assert (one["service_request_id"], one["service_code"]) == (number, "street_light")
    assert one["media_url"] == "https://example.com/lamp.jpg"

    listed = reader.get_service_requests(service_request_id=number)
    if fmt == "xml" and isinstance(listed, dict):  # xmltodict: one element, not a list
        listed = [listed]
    assert [request["service_request_id"] for request in listed] == [number]
    recent = reader.get_service_requests(service_code="street_light", status="open")
    if fmt == "xml" and isinstance(recent, dict):
        recent = [recent]
    assert number in [request["service_request_id"] for request in recent]
