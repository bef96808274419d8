"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), for the city's app and
anyone who speaks the standard. Every method answers JSON or XML by its path's suffix
(``services.json``, ``services.xml``); XML is shaped as the spec's examples
(open311_format).

- GET  /open311/discovery.{json,xml}: the discovery document (also under /open311/v2/).
- GET  /open311/v2/services.{fmt}: our categories as services, each with a definition.
- GET  /open311/v2/services/{service_code}.{fmt}: its attributes (open311_services):
  ``district``, ``subdistrict``, ``community``, ``estate``, ``building`` and ``kind``.
- POST /open311/v2/requests.{fmt}: a citizen's request becomes a ticket (channel ``app``).
  ``api_key`` is an API token of an agent's or the call centre's account. Located by
  ``lat`` and ``long``, ``address_string``, ``address_id`` (a place of the directory by
  its path, ``杨浦区/殷行街道/开鲁新村``) or ``attribute[subdistrict]`` and below; without
  a district, CONSOLE_OPEN311_DISTRICT (default 杨浦区). ``description`` is optional;
  ``media_url`` is kept with the ticket.
- GET  /open311/v2/requests/{id}.{fmt} and /open311/v2/requests.{fmt}: where requests
  stand, for anyone, with no key, from the ledger's public view (ledger.public_requests):
  category, state, times, the handling unit, the place down to the community (its path as
  ``address_id``), and the description and media_url only where the publication policy
  allows it. Never the caller. A request just posted is found once the ledger has it.
  The list is paged: ``page`` (from 1) and ``page_size`` (default 100, at most 200); a
  full page has a ``Link: <…>; rel="next"`` header.
- GET  /open311/v2/tokens/{token}.{fmt}: tokens are never issued (a POST answers the
  service_request_id at once), so every token is 404.

An empty argument (``media_url=``) is an absent one. Errors are the standard's, on every
path under /open311/ (an unknown path and a method not allowed too; services/console/
errors.py hands those here): a list of {code, description}, the HTTP status as code. 400
bad input, 403 a missing or invalid api_key, 404 an unknown service_code or request, 503
the services down.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, current_app, g, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import HTTPException

from services.console import open311_format as formats
from services.console import open311_services as catalogue
from services.console.auth import actor, services
from services.console.open311_services import DEFAULT_KIND, POSTED_KINDS, SERVICES, service_name
from services.shared import clock
from services.shared.directory import PLACE_SEPARATOR
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.rpc_client import ServicesUnavailable
from services.shared.schemas import LONG_TEXT, PLACE_LEVELS, SHORT_TEXT, Phone, Text, load
from services.shared.states import CLOSED
from services.shared.words import STATE_WORDS

PREFIX = "/open311/"
DEFAULT_DISTRICT = "杨浦区"
# the city's app posts under a program's account of its own (call_centre), or an agent's
CREATORS = ("call_centre", "agent")
LIST_DAYS = 90          # the standard's default window, and the widest it allows
PAGE_SIZE = 100
PAGE_SIZE_MAX = 200
PUBLIC_LEVELS = ("district", "subdistrict", "community")  # below that it is personal
STATUS_CODES = {InvalidRequest: 400, NotPermitted: 403, NotFound: 404, IllegalTransition: 409,
                ServicesUnavailable: 503}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00Z"  # when this endpoint last changed what it answers
FMT = "<any(json, xml):fmt>"

blueprint = Blueprint("open311", __name__, url_prefix="/open311")


# Errors: the standard's list, in the format the path asks for
def error_answer(status: int, descriptions: Iterable[str],
                 headers: dict[str, str] | None = None) -> Response:
    return formats.errors(formats.format_of(request.path), status, descriptions, headers)


def problems(messages: object) -> list[str]:
    """Field errors ({field: [text]}) as one description each, naming the field."""
    if not isinstance(messages, dict):
        return [str(messages)]
    return [f"{field}: {'; '.join(map(str, text)) if isinstance(text, list) else text}"
            for field, text in flatten(messages)]


def flatten(messages: dict, prefix: str = "") -> list[tuple[str, object]]:
    flat: list = []
    for field, text in messages.items():
        name = f"{prefix}{field}"
        if isinstance(text, dict):
            flat.extend(flatten(text, name + "."))
        else:
            flat.append((name, text))
    return flat


def http_error(error: HTTPException) -> Response:
    """An HTTP error under /open311/ (an unknown path, a method not allowed, ...): the
    standard's list, with the headers the error carries (``Allow`` on a 405)."""
    headers = {key: value for key, value in error.get_headers()
               if key.lower() not in ("content-type", "content-length")}
    return error_answer(error.code or 500, [error.description or ""], headers)


@blueprint.errorhandler(InvalidRequest)
def invalid(error: InvalidRequest):
    return error_answer(400, problems(error.errors))


@blueprint.errorhandler(NotPermitted)
@blueprint.errorhandler(NotFound)
@blueprint.errorhandler(IllegalTransition)
@blueprint.errorhandler(ServicesUnavailable)
def refused(error: Exception):
    return error_answer(STATUS_CODES[type(error)], [str(error)])


@blueprint.errorhandler(HTTPException)
def blueprint_http_error(error: HTTPException):
    return http_error(error)


def present(arguments: dict) -> dict:
    """The arguments given: an empty one (``media_url=``) is absent, as the spec says."""
    return {key: value for key, value in arguments.items()
            if value is not None and not (isinstance(value, str) and not value.strip())}


# Discovery
@blueprint.route(f"/discovery.{FMT}")
@blueprint.route(f"/v2/discovery.{FMT}")
def discovery(fmt: str):
    """Where the endpoint is, which specification it follows and in what formats."""
    return formats.answer(fmt, "discovery", {
        "changeset": CHANGESET,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": "api_key: an API token of an agent's or the call centre's account, "
                       "issued by an administrator in the console",
        "endpoints": [{"specification": SPECIFICATION,
                       "url": url_for("open311.service_list", fmt="json",
                                      _external=True).rsplit("/", 1)[0],
                       "changeset": CHANGESET, "type": "production",
                       "formats": [formats.MEDIA_TYPES[f] for f in formats.FORMATS]}]})


# Services
@blueprint.route(f"/v2/services.{FMT}")
def service_list(fmt: str):
    """Our categories, as the standard's services."""
    return formats.answer(fmt, "services", catalogue.service_list())


@blueprint.route(f"/v2/services/<service_code>.{FMT}")
def service_definition(service_code: str, fmt: str):
    """The attributes a service takes; 404 for a code services does not list."""
    known(service_code)
    return formats.answer(fmt, "service_definition",
                          catalogue.service_definition(service_code,
                                                       current_app.config["OPEN311_DISTRICT"]))


def known(service_code: str) -> None:
    if service_code not in SERVICES:
        raise NotFound(f"service_code {service_code}: not one of the services listed")


# Requests
def attribute(level: str) -> Text:
    return Text(data_key=f"attribute[{level}]", load_default=None, validate=SHORT_TEXT)


class ServiceRequestSchema(Schema):
    """A POST to requests. Fields of the standard we have no use for are ignored; an empty
    field has been dropped before (present)."""

    class Meta:
        unknown = EXCLUDE

    service_code = fields.String(required=True, validate=validate.OneOf(tuple(SERVICES)))
    description = Text(load_default=None, validate=LONG_TEXT)
    address_string = Text(load_default=None, validate=validate.Length(max=400))
    address_id = Text(load_default=None, validate=validate.Length(max=500))
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    long = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    first_name = Text(load_default=None, validate=validate.Length(max=50))
    last_name = Text(load_default=None, validate=validate.Length(max=50))
    phone = Phone(load_default=None)
    email = fields.Email(load_default=None)  # checked, not kept: a ticket has no e-mail
    device_id = Text(load_default=None, validate=SHORT_TEXT)
    account_id = Text(load_default=None, validate=SHORT_TEXT)
    media_url = fields.Url(load_default=None, schemes={"http", "https"},
                           validate=validate.Length(max=500))
    district = attribute("district")
    subdistrict = attribute("subdistrict")
    community = attribute("community")
    estate = attribute("estate")
    building = attribute("building")
    kind = fields.String(data_key="attribute[kind]", load_default=DEFAULT_KIND,
                         validate=validate.OneOf(POSTED_KINDS))

    @validates_schema(skip_on_field_errors=False)  # all problems at once
    def _located(self, data: dict, **kwargs) -> None:
        if (data.get("lat") is None) != (data.get("long") is None):
            raise ValidationError("Give lat and long together.", "long")
        if not (data.get("address_string") or data.get("address_id")
                or data.get("lat") is not None
                or any(data.get(level) for level in PLACE_LEVELS[1:])):
            raise ValidationError("A location is required: lat and long, address_string, "
                                  "address_id, or attribute[subdistrict] and below.",
                                  "address_string")


def posted() -> dict:
    """The request's fields, form-encoded or JSON (``attribute`` as an object or as
    ``attribute[name]`` keys), empty ones dropped."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidRequest({"body": ["A JSON object is required."]})
        fields_ = {key: value for key, value in body.items() if key != "attribute"}
        attributes = body.get("attribute")
        if isinstance(attributes, dict):
            fields_.update({f"attribute[{name}]": value for name, value in attributes.items()})
        return present(fields_)
    return present(request.form.to_dict())


def poster(api_key: object) -> dict:
    """The account the api_key was issued to, if it may post requests (403 otherwise)."""
    if not api_key:
        raise NotPermitted("api_key is required to post a request")
    if not isinstance(api_key, str):
        raise NotPermitted("api_key is invalid or revoked")
    try:
        user = services().call("accounts", "authenticate_token", api_key)
    except (NotPermitted, InvalidRequest):
        raise NotPermitted("api_key is invalid or revoked") from None
    if user["role"] not in CREATORS:
        raise NotPermitted("this api_key may not post requests")
    return user


def place_of(address_id: str, places: list[dict]) -> dict[str, str] | None:
    """The address levels of the directory's place whose path is ``address_id``
    (``杨浦区/殷行街道/开鲁新村``, names joined by '/', from the district down); None
    where the directory has no such place."""
    names = [name.strip() for name in address_id.split(PLACE_SEPARATOR)]
    if len(names) > len(PLACE_LEVELS):
        return None
    level_places = places
    for name in names:
        found = next((place for place in level_places if place["name"] == name), None)
        if found is None:
            return None
        level_places = found.get("children") or []
    return dict(zip(PLACE_LEVELS, names, strict=False))


def address_id_of(place: dict) -> str | None:
    """The public place (district down to community) as an address_id: its path."""
    names = [place.get(level) for level in PUBLIC_LEVELS]
    given = [name for name in names if name]
    return PLACE_SEPARATOR.join(given) if given and names[:len(given)] == given else None


def located(address_id: str) -> dict[str, str]:
    """The levels of the place ``address_id`` names; 400 where the directory has none."""
    directory = services().call("dispatch", "get_directory", actor())
    levels = place_of(address_id, directory["places"])
    if levels is None:
        raise InvalidRequest({"address_id": [
            "Not a place of the directory: its path from the district down, names joined "
            "by '/' (杨浦区/殷行街道/开鲁新村)."]})
    return levels


def ticket_request(fields_: dict, default_district: str,
                   place: dict[str, str] | None = None) -> dict:
    """intake's create_ticket request for a validated Open311 request; ``place``: the
    levels its address_id names, which decide those levels."""
    name = "".join(filter(None, (fields_["last_name"], fields_["first_name"]))) or None
    description = fields_["description"] or \
        f"{service_name(fields_['service_code'])} (未填写描述)"
    detail = fields_["address_string"] or ""
    if fields_["lat"] is not None:
        detail = f"{detail} (坐标 {fields_['lat']}, {fields_['long']})".strip()
    address = {level: fields_[level] for level in PLACE_LEVELS if fields_[level]}
    address.update(place or {})
    address.setdefault("district", default_district)
    if detail:
        address["detail"] = detail
    return {"channel": "app", "kind": fields_["kind"], "category": fields_["service_code"],
            "description": description, "address": address,
            "media_url": fields_["media_url"],
            "caller": {"name": name, "phone": fields_["phone"],
                       "anonymous": not (name or fields_["phone"])}}


@blueprint.route(f"/v2/requests.{FMT}", methods=["POST"])
def create_request(fmt: str):
    """A citizen's request: a ticket, or the open ticket it repeats."""
    data = posted()
    g.api_user = poster(data.get("api_key"))
    if isinstance(data.get("service_code"), str):
        known(data["service_code"])
    fields_ = load(ServiceRequestSchema(), data)
    place = located(fields_["address_id"]) if fields_["address_id"] else None
    ticket = services().call("intake", "create_ticket",
                             ticket_request(fields_, current_app.config["OPEN311_DISTRICT"],
                                            place),
                             actor())
    if ticket["merged"]:
        notice = f"您反映的问题已有工单 {ticket['ticket_no']} 在办理, 本次诉求已并入。"
    else:
        notice = f"已受理, 工单号 {ticket['ticket_no']}。承办单位将按时限与您联系。"
    return formats.answer(fmt, "service_requests", [{
        "service_request_id": ticket["ticket_no"], "service_notice": notice,
        "account_id": fields_["account_id"]}], 201)


def as_service_request(public: dict) -> dict:
    """A ticket as the standard's service request, from the ledger's public view of it
    (ledger.public_requests: what may be published was decided there, redacted there)."""
    place = public.get("place") or {}
    return {
        "service_request_id": public["ticket_no"],
        "status": "closed" if public.get("state") == CLOSED else "open",
        "status_notes": STATE_WORDS.get(public.get("state") or ""),
        "service_name": service_name(public.get("category") or "") or None,
        "service_code": public.get("category"),
        "description": public.get("description"),
        "agency_responsible": public.get("unit_name"),
        "service_notice": None,
        "requested_datetime": public.get("received_at"),
        "updated_datetime": public.get("updated_at"),
        "expected_datetime": public.get("resolve_by"),
        "address": " ".join(filter(None, (place.get(level) for level in PUBLIC_LEVELS))),
        "address_id": address_id_of(place),
        "zipcode": None, "lat": None, "long": None,
        "media_url": public.get("media_url"),
    }


def requests_by_id(ticket_nos: list[str]) -> list[dict]:
    """The requests of these numbers that the ledger has recorded, in the order asked (a
    request just posted is listed a moment later, once the ledger has it)."""
    found = {public["ticket_no"]: public for public in
             services().call("ledger", "public_requests", ticket_nos=ticket_nos,
                             limit=len(ticket_nos))}
    return [as_service_request(found[no]) for no in ticket_nos if no in found]


@blueprint.route(f"/v2/requests/<service_request_id>.{FMT}")
def get_request(service_request_id: str, fmt: str):
    """One request, as a list of one; 404 for a number the ledger has not recorded."""
    try:
        public = services().call("ledger", "public_request", service_request_id)
    except (NotFound, InvalidRequest):
        raise NotFound(f"service_request_id {service_request_id}: no such request") from None
    return formats.answer(fmt, "service_requests", [as_service_request(public)])


class ListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    service_request_id = fields.String(load_default=None)
    service_code = fields.String(load_default=None)
    start_date = fields.String(load_default=None)
    end_date = fields.String(load_default=None)
    status = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    page_size = fields.Integer(load_default=PAGE_SIZE,
                               validate=validate.Range(min=1, max=PAGE_SIZE_MAX))


def iso_param(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return clock.parse_iso(text.strip())
    except (ValueError, OverflowError):
        raise InvalidRequest({name: ["Not an ISO 8601 time (2026-11-23T00:00:00Z)."]}) from None


def window(start: dt.datetime | None, end: dt.datetime | None,
           now: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    """The period [start, end) listed: the last 90 days when neither is given, 90 days
    from the one given, and no wider than 90 days (400)."""
    span = dt.timedelta(days=LIST_DAYS)
    if start is None:
        return (end or now) - span, end
    if end is None:
        return start, start + span
    if end <= start:  # said here, in the caller's words, rather than by the ledger
        raise InvalidRequest({"end_date": ["The period must end after it starts."]})
    if end - start > span:
        raise InvalidRequest({"end_date": [f"A period may not span more than {LIST_DAYS} "
                                           "days."]})
    return start, end


def listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def next_page_link(query: dict, page: int) -> dict[str, str]:
    arguments = {**(request.view_args or {}), **query, "page": page + 1}
    url = url_for(request.endpoint or "", **arguments, _external=True)
    return {"Link": f'<{url}>; rel="next"'}


@blueprint.route(f"/v2/requests.{FMT}")
def list_requests(fmt: str):
    """Requests by id (service_request_id=a,b, which overrides the rest), or received in
    [start_date, end_date) (by default the last 90 days), of service_code(s), open or
    closed; newest first, a page at a time."""
    given = present(request.args.to_dict())
    query = load(ListQuerySchema(), given)
    ids = listed(query["service_request_id"])
    if len(ids) > PAGE_SIZE_MAX:
        raise InvalidRequest({"service_request_id": [
            f"At most {PAGE_SIZE_MAX} ids at a time."]})
    if ids:
        return formats.answer(fmt, "service_requests", requests_by_id(ids))
    statuses = set(listed(query["status"]))
    if statuses - {"open", "closed"}:
        raise InvalidRequest({"status": ["open or closed, or both comma-separated."]})
    codes = listed(query["service_code"]) or None
    for code in codes or ():
        known(code)
    start, end = window(iso_param(query["start_date"], "start_date"),
                        iso_param(query["end_date"], "end_date"), clock.now())
    page, size = query["page"], query["page_size"]
    rows = services().call("ledger", "public_requests", start=clock.iso(start),
                           end=clock.iso(end) if end else None,
                           status=statuses.pop() if len(statuses) == 1 else None,
                           categories=codes, limit=size + 1, offset=(page - 1) * size)
    more = next_page_link(given, page) if len(rows) > size else None
    return formats.answer(fmt, "service_requests",
                          [as_service_request(row) for row in rows[:size]], headers=more)


# Tokens
@blueprint.route(f"/v2/tokens/<token>.{FMT}")
def get_token(token: str, fmt: str):
    """Never issued: a POST answers the service_request_id at once."""
    raise NotFound(f"token {token}: no such token (requests are answered with their "
                   "service_request_id at once)")


def register(app: Flask, csrf) -> None:
    app.config.setdefault("OPEN311_DISTRICT",
                          os.environ.get("CONSOLE_OPEN311_DISTRICT") or DEFAULT_DISTRICT)
    app.config.setdefault("OPEN311_CONTACT", "12345 市民服务热线")
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
