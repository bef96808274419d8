"""Open311 GeoReport v2 (JSON only), for the city's app and anyone who speaks the standard
(https://wiki.open311.org/GeoReport_v2):

- GET  /open311/v2/services.json: our categories as services.
- POST /open311/v2/requests.json: a citizen's request becomes a ticket (channel ``app``).
  ``api_key`` is an API token of an agent's account (the city's app). Beyond the standard
  fields, our address levels come as ``attribute[district]``, ``attribute[subdistrict]``,
  ``attribute[community]``, ``attribute[estate]``, ``attribute[building]``, and the kind of
  request as ``attribute[kind]`` (default help). Without a district, CONSOLE_OPEN311_DISTRICT
  (default 杨浦区) is used.
- GET  /open311/v2/requests/{id}.json and /open311/v2/requests.json: where requests stand,
  for anyone, with no key. They show the ledger's public view (ledger.public_requests):
  category, state, times, the handling unit and the place down to the community, and a
  description only where the publication policy allows it, redacted there. Never the
  caller, and never the description of a welfare check, a register's ticket or an
  anonymous caller's. A request just posted is found once the ledger has recorded it.

Errors are the standard's: a list of {code, description}, with the HTTP status as code.
"""
from __future__ import annotations

import datetime as dt
import os

from flask import Blueprint, Flask, current_app, g, jsonify, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import HTTPException

from services.console.auth import actor, services
from services.console.display import CATEGORY_WORDS
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.rpc_client import ServicesUnavailable
from services.shared.schemas import (
    CATEGORIES,
    KINDS,
    LONG_TEXT,
    SHORT_TEXT,
    Phone,
    Text,
)
from services.shared.states import CLOSED
from services.shared.words import STATE_WORDS

DEFAULT_DISTRICT = "杨浦区"
# the city's app posts under a program's account of its own (call_centre), or an agent's
CREATORS = ("call_centre", "agent")
LIST_DAYS = 90          # the standard's default window
LIST_LIMIT = 100
ADDRESS_LEVELS = ("district", "subdistrict", "community", "estate", "building")
PUBLIC_LEVELS = ("district", "subdistrict", "community")  # below that it is personal
STATUS_CODES = {InvalidRequest: 400, NotPermitted: 403, NotFound: 404, IllegalTransition: 409,
                ServicesUnavailable: 503}

# category: (description, keywords, group), the name being the category's Chinese word
SERVICES = {
    "home_repair": ("老人家中的小修小补: 扶手、门锁、水电等", "维修,扶手,水电,门窗", "居家养老"),
    "street_light": ("路灯、楼道灯不亮或损坏", "路灯,楼道灯,照明", "市政设施"),
    "building_safety": ("外墙、阳台、楼道等房屋安全隐患", "外墙,脱落,裂缝,危房", "房屋与物业"),
    "elevator": ("电梯故障、困人、加装电梯", "电梯,困人,故障", "房屋与物业"),
    "veteran_services": ("优待证、走访慰问等退役军人事务", "退役军人,优待证", "社区服务"),
    "elderly_meals": ("老年助餐点、送餐上门", "助餐,送餐,食堂", "居家养老"),
    "errands": ("代买药品和生活物资、代办事务", "代购,买药,跑腿", "居家养老"),
    "welfare_check": ("独居、空巢老人上门探访", "独居,空巢,探访,关爱", "居家养老"),
    "sanitation": ("垃圾、污水、卫生死角", "垃圾,卫生,污水", "市政设施"),
    "parking": ("停车难、占道停车", "停车,占道", "市政设施"),
    "other": ("以上都不是的诉求", "", "其他"),
}

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")


def attribute(level: str) -> Text:
    return Text(data_key=f"attribute[{level}]", load_default=None, validate=SHORT_TEXT)


class ServiceRequestSchema(Schema):
    """A POST to requests.json. Fields of the standard we have no use for are ignored."""

    class Meta:
        unknown = EXCLUDE

    service_code = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = Text(required=True, validate=LONG_TEXT)
    address_string = Text(load_default=None, validate=validate.Length(max=400))
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    long = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    first_name = Text(load_default=None, validate=validate.Length(max=50))
    last_name = Text(load_default=None, validate=validate.Length(max=50))
    phone = Phone(load_default=None)
    email = fields.Email(load_default=None)  # checked, not kept: a ticket has no e-mail
    device_id = Text(load_default=None, validate=SHORT_TEXT)
    account_id = Text(load_default=None, validate=SHORT_TEXT)
    media_url = fields.Url(load_default=None, validate=validate.Length(max=500))
    district = attribute("district")
    subdistrict = attribute("subdistrict")
    community = attribute("community")
    estate = attribute("estate")
    building = attribute("building")
    kind = fields.String(data_key="attribute[kind]", load_default="help",
                         validate=validate.OneOf([k for k in KINDS if k != "praise"]))

    @validates_schema(skip_on_field_errors=False)  # all problems at once
    def _located(self, data: dict, **kwargs) -> None:
        if (data.get("lat") is None) != (data.get("long") is None):
            raise ValidationError("Give lat and long together.", "long")
        if not (data.get("address_string") or data.get("lat") is not None
                or any(data.get(level) for level in ADDRESS_LEVELS[1:])):
            raise ValidationError("A location is required: address_string, lat and long, "
                                  "or attribute[subdistrict] and below.", "address_string")


class ListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    service_request_id = fields.String(load_default=None)
    service_code = fields.String(load_default=None)
    start_date = fields.String(load_default=None)
    end_date = fields.String(load_default=None)
    status = fields.String(load_default=None)


def error_list(status: int, messages) -> tuple:
    """The standard's error answer: [{code, description}], one per problem."""
    if isinstance(messages, dict):
        problems = [f"{field}: {'; '.join(map(str, text)) if isinstance(text, list) else text}"
                    for field, text in flatten(messages)]
    else:
        problems = [str(messages)]
    return jsonify([{"code": status, "description": problem} for problem in problems]), status


def flatten(messages: dict, prefix: str = "") -> list[tuple[str, object]]:
    flat: list = []
    for field, text in messages.items():
        name = f"{prefix}{field}"
        if isinstance(text, dict):
            flat.extend(flatten(text, name + "."))
        else:
            flat.append((name, text))
    return flat


@blueprint.errorhandler(InvalidRequest)
def invalid(error: InvalidRequest):
    return error_list(400, error.errors)


@blueprint.errorhandler(NotPermitted)
@blueprint.errorhandler(NotFound)
@blueprint.errorhandler(IllegalTransition)
@blueprint.errorhandler(ServicesUnavailable)
def refused(error: Exception):
    return error_list(STATUS_CODES[type(error)], str(error))


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return error_list(error.code or 500, error.description)


# Services
@blueprint.route("/services.json")
def service_list():
    """Our categories, as the standard's services."""
    return jsonify([{"service_code": code, "service_name": CATEGORY_WORDS.get(code, code),
                     "description": description, "metadata": False, "type": "realtime",
                     "keywords": keywords, "group": group}
                    for code, (description, keywords, group) in SERVICES.items()])


# Requests
def posted() -> dict:
    """The request's fields, form-encoded or JSON (``attribute`` as an object or as
    ``attribute[name]`` keys)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidRequest({"body": ["A JSON object is required."]})
        fields_ = {key: value for key, value in body.items() if key != "attribute"}
        attributes = body.get("attribute")
        if isinstance(attributes, dict):
            fields_.update({f"attribute[{name}]": value for name, value in attributes.items()})
        return fields_
    return request.form.to_dict()


def poster(api_key: str | None) -> dict:
    """The account the api_key was issued to, if it may post requests (403 otherwise)."""
    if not api_key:
        raise NotPermitted("api_key is required to post a request")
    try:
        user = services().call("accounts", "authenticate_token", api_key)
    except (NotPermitted, InvalidRequest):
        raise NotPermitted("api_key is invalid or revoked") from None
    if user["role"] not in CREATORS:
        raise NotPermitted("this api_key may not post requests")
    return user


def ticket_request(fields_: dict, default_district: str) -> dict:
    """intake's create_ticket request for a validated Open311 request."""
    name = "".join(filter(None, (fields_["last_name"], fields_["first_name"]))) or None
    description = fields_["description"]
    if fields_["media_url"]:
        description += f"\n附件: {fields_['media_url']}"
    detail = fields_["address_string"] or ""
    if fields_["lat"] is not None:
        detail = f"{detail} (坐标 {fields_['lat']}, {fields_['long']})".strip()
    address = {level: fields_[level] for level in ADDRESS_LEVELS if fields_[level]}
    address.setdefault("district", default_district)
    if detail:
        address["detail"] = detail
    return {"channel": "app", "kind": fields_["kind"], "category": fields_["service_code"],
            "description": description, "address": address,
            "caller": {"name": name, "phone": fields_["phone"],
                       "anonymous": not (name or fields_["phone"])}}


@blueprint.route("/requests.json", methods=["POST"])
def create_request():
    """A citizen's request: a ticket, or the open ticket it repeats."""
    data = posted()
    g.api_user = poster(data.get("api_key"))
    try:
        fields_ = ServiceRequestSchema().load(data)
    except ValidationError as exc:
        raise InvalidRequest(exc.messages) from None
    ticket = services().call("intake", "create_ticket",
                             ticket_request(fields_, current_app.config["OPEN311_DISTRICT"]),
                             actor())
    if ticket["merged"]:
        notice = f"您反映的问题已有工单 {ticket['ticket_no']} 在办理, 本次诉求已并入。"
    else:
        notice = f"已受理, 工单号 {ticket['ticket_no']}。承办单位将按时限与您联系。"
    return jsonify([{"service_request_id": ticket["ticket_no"], "service_notice": notice,
                     "account_id": fields_["account_id"]}]), 201


def as_service_request(public: dict) -> dict:
    """A ticket as the standard's service request, from the ledger's public view of it
    (ledger.public_requests: what may be published was decided there, redacted there)."""
    place = public.get("place") or {}
    return {
        "service_request_id": public["ticket_no"],
        "status": "closed" if public.get("state") == CLOSED else "open",
        "status_notes": STATE_WORDS.get(public.get("state") or ""),
        "service_name": CATEGORY_WORDS.get(public.get("category") or "", public.get("category")),
        "service_code": public.get("category"),
        "description": public.get("description"),
        "agency_responsible": public.get("unit_name"),
        "service_notice": None,
        "requested_datetime": public.get("received_at"),
        "updated_datetime": public.get("updated_at"),
        "expected_datetime": public.get("resolve_by"),
        "address": " ".join(filter(None, (place.get(level) for level in PUBLIC_LEVELS))),
        "address_id": None, "zipcode": None, "lat": None, "long": None, "media_url": None,
    }


def requests_by_id(ticket_nos: list[str]) -> list[dict]:
    """The requests of these numbers that the ledger has recorded, in the order asked (a
    request just posted is listed a moment later, once the ledger has it)."""
    found = {public["ticket_no"]: public for public in
             services().call("ledger", "public_requests", ticket_nos=ticket_nos,
                             limit=len(ticket_nos))}
    return [as_service_request(found[no]) for no in ticket_nos if no in found]


@blueprint.route("/requests/<service_request_id>.json")
def get_request(service_request_id: str):
    """One request, as a list of one."""
    try:
        public = services().call("ledger", "public_request", service_request_id)
    except (NotFound, InvalidRequest):
        raise NotFound(f"service request {service_request_id}") from None
    return jsonify([as_service_request(public)])


def iso_param(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return clock.parse_iso(text.strip())
    except (ValueError, OverflowError):
        raise InvalidRequest({name: ["Not an ISO 8601 time."]}) from None


def listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@blueprint.route("/requests.json")
def list_requests():
    """Requests by id (service_request_id=a,b), or received in [start_date, end_date)
    (default: the last 90 days), of service_code(s), open or closed; newest first."""
    query = ListQuerySchema().load(request.args.to_dict())
    ids = listed(query["service_request_id"])
    if ids:
        return jsonify(requests_by_id(ids[:LIST_LIMIT]))
    statuses = set(listed(query["status"]))
    if statuses - {"open", "closed"}:
        raise InvalidRequest({"status": ["open or closed, or both comma-separated."]})
    end = iso_param(query["end_date"], "end_date")
    start = iso_param(query["start_date"], "start_date") or \
        (end or clock.now()) - dt.timedelta(days=LIST_DAYS)
    codes = listed(query["service_code"]) or None
    if codes and set(codes) - set(CATEGORIES):
        raise InvalidRequest({"service_code": ["Not one of services.json's codes."]})
    rows = services().call("ledger", "public_requests", start=clock.iso(start),
                           end=clock.iso(end) if end else None,
                           status=statuses.pop() if len(statuses) == 1 else None,
                           categories=codes, limit=LIST_LIMIT)
    return jsonify([as_service_request(row) for row in rows])


def register(app: Flask, csrf) -> None:
    app.config.setdefault("OPEN311_DISTRICT",
                          os.environ.get("CONSOLE_OPEN311_DISTRICT") or DEFAULT_DISTRICT)
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
