"""The JSON API for programs (flask-smorest; OpenAPI 3 at /api/openapi.json): every action
of the pages, as the person an API token was issued to.

A program sends ``Authorization: Bearer <token>`` (an admin issues tokens, see
POST /api/users/{username}/tokens). The token is checked with accounts on every request,
so a revoked or expired token or a deactivated user is refused at once; nothing is cached.
A read-only token may only read: every other method (POST, PATCH, PUT, DELETE) is refused
with 403 before anything is asked of the services. The API is exempt from CSRF: browsers
never send the token by themselves.

Errors are JSON (errors.py): {code, status, message, errors}, and each operation lists
those it may answer. 401 without a valid token; 422 for bad input, ``errors`` mapping each
field to its messages (nothing was done), a body that is not JSON included; 403 when the
person may not take the step, or for a read-only token's write; 404 for what does not
exist (or is not the reader's to see), and for a path whose ids are not ids at all; 405,
with ``Allow``, for a method the path does not take; 409 when the state does not allow
it; 503 when a service does not answer.
"""
from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from flask import Flask, Response, g, jsonify, request
from flask_smorest import Api, Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.routing import BaseConverter

from services.console import api_schemas as schemas
from services.console.auth import READING, actor, current_user, services, signed_in
from services.console.downloads import XLSX, attachment_download, workbook_download
from services.console.errors import respond
from services.console.pages import assigned_to_me
from services.console.uploads import files_sent
from services.shared.accounts import NewUserSchema, UserChangesSchema
from services.shared.answers.accounts import (
    ColleagueSchema,
    IdentitySchema,
    IssuedTokenSchema,
    UserProfileSchema,
)
from services.shared.answers.callback import CheckinSchema
from services.shared.answers.dispatch import (
    AttachmentSchema,
    QueueRowSchema,
    SupervisionSchema,
    TicketStatusSchema,
)
from services.shared.answers.intake import CreatedTicketSchema
from services.shared.answers.ledger import (
    IndicatorsSchema,
    ListedTicketSchema,
    SearchAnswerSchema,
)
from services.shared.answers.register import (
    BirthdaySchema,
    CardViewSchema,
    ImportReportSchema,
    ResidentRecordSchema,
    ResidentRowSchema,
)
from services.shared.directory import DirectorySchema
from services.shared.errors import InvalidRequest, NotFound, NotPermitted
from services.shared.payloads import ATTACHMENT_TYPES
from services.shared.requests import TicketRequestSchema

TITLE = "12345 工单 API"
# Who may do what beyond what the services check themselves.
CALL_TAKERS = ("agent",)  # tickets are created by the agent who took the call
LOCATIONS = ("json", "query", "form", "querystring", "headers", "files", "view_args")


class ConsoleApi(Api):
    """flask-smorest's Api, leaving every error to errors.py, which answers pages and
    programs alike (its own handler would turn the pages' errors into JSON). Each operation
    lists the errors it answers (``refuses``): no catch-all ``default``."""

    ERROR_SCHEMA = schemas.ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass


class KeyConverter(BaseConverter):
    """An id in a path (a ticket number, a unit, a resident, a token): letters, digits,
    '.', '_' and '-', at most ``max`` of them. Anything else names nothing: 404."""

    def __init__(self, url_map, max: int = 64) -> None:  # noqa: A002 - the rule's word
        super().__init__(url_map)
        self.max = int(max)
        self.regex = rf"[A-Za-z0-9._-]{{1,{self.max}}}"


class UsernameConverter(BaseConverter):
    """A username in a path, in either case (accounts compares them without case)."""

    regex = "[A-Za-z0-9][A-Za-z0-9._-]{1,63}"


def null_or_nested(converter, field, ret: dict, **kwargs) -> dict:
    """apispec writes a nullable nested schema, for OpenAPI 3.0, as "any object, or the
    schema": that would let any object through. Say "null, or the schema"."""
    for branch in ret.get("anyOf", []):
        if branch == {"type": "object", "nullable": True}:
            branch["enum"] = [None]
    return {}


def path_parameter(converter: BaseConverter) -> dict:
    """A path converter's rule, as /api/openapi.json says it."""
    return {"type": "string", "pattern": f"^{converter.regex}$"}


# The errors an operation may answer, as each operation's responses list them.
REFUSALS = {
    401: "No valid token (``WWW-Authenticate`` says how to send one).",
    403: "The person may not do this, or the token is read-only and this is not a read.",
    404: "Nothing of that id, or nothing this person may see.",
    409: "The state of what it acts on does not allow it now.",
    413: "A file is over 10 MB (nothing was stored).",
    422: "Bad input (nothing was done): ``errors`` maps each field to its messages; a "
         "body that is not JSON is refused alike (``_json``).",
    503: "A service did not answer: try again later.",
}
ALWAYS = (401, 503)  # every operation checks the token and asks a service


def refuses(*codes: int):
    """Document the errors a view may answer, beside the token's and the services'."""
    def decorate(view):
        for code in sorted({*codes, *ALWAYS}):
            view = Blueprint.alt_response(ApiBlueprint.DOCUMENTER, code,
                                          schema=schemas.ErrorSchema,
                                          description=REFUSALS[code])(view)
        return view
    return decorate


class FieldErrorParser(FlaskParser):
    """Bad input is refused as the services refuse it, ``errors`` mapping each field to its
    messages (webargs would nest them under the request's location). A query parameter
    the operation does not describe is refused too (422 naming it), not silently dropped:
    a misspelt filter would otherwise answer as if no filter had been asked for."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": RAISE, "querystring": RAISE}

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        if isinstance(messages, dict) and set(messages) <= set(LOCATIONS):
            flat: dict = {}
            for located in messages.values():
                flat.update(located if isinstance(located, dict) else {"_request": located})
            messages = flat
        raise InvalidRequest(messages)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        """A body that is not JSON is bad input like any other: 422, as documented."""
        raise InvalidRequest({"_json": ["Not valid JSON (UTF-8)."]})

    def load_files(self, req, schema):
        """A multipart form's files and its other fields together: an upload and the
        choices sent with it are one request body."""
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(Blueprint):
    """The API's blueprints: webargs refusing as the services do, and each operation
    named by its endpoint (``operationId``: the links between operations name them)."""

    ARGUMENTS_PARSER = FieldErrorParser()
    DOCUMENTER: Blueprint

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                doc["manual_doc"] = {**doc.get("manual_doc", {}), "operationId": endpoint}


ApiBlueprint.DOCUMENTER = ApiBlueprint("documenter", __name__)


def authenticate():
    """Before every API request: the token's user becomes the actor, or 401; a read-only
    token's request that is not a read, 403."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return unauthorised("Send 'Authorization: Bearer <token>'.")
    try:
        g.api_user = services().call("accounts", "authenticate_token", token)
    except (NotPermitted, InvalidRequest) as refusal:
        return unauthorised(str(refusal))
    if g.api_user.get("read_only") and request.method not in READING:
        return respond(403, "This token is read-only: it may only read (GET).")
    return None


def unauthorised(message: str):
    response, status = respond(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="12345"'
    return response, status


def call(service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    return services().call(service, method, *args, **kwargs)


def refuse_unless(roles: tuple[str, ...], what: str) -> None:
    if signed_in()["role"] not in roles:
        raise NotPermitted(f"only {', '.join(roles)} {what}")


def blueprint(name: str, description: str) -> ApiBlueprint:
    made = ApiBlueprint(name, __name__, url_prefix="/api", description=description)
    made.before_request(authenticate)
    return made


me = blueprint("me", "Who the token belongs to")
tickets = blueprint("tickets", "Tickets: create, read, and every step on them")
queues = blueprint("queues", "What a unit holds")
supervision = blueprint("supervision", "Deadlines owed, requests to decide (督办)")
indicators = blueprint("indicators", "The figures a district is judged by")
directory = blueprint("directory", "Places, units and routing rules")
users = blueprint("users", "Accounts and API tokens (admins)")
residents = blueprint("register", "The register of vulnerable residents (台账): admins and "
                                  "unit staff, each unit's staff their own unit's residents")
BLUEPRINTS = (me, tickets, queues, supervision, indicators, directory, users, residents)


# Who
@me.route("/me")
@refuses()
@me.response(200, IdentitySchema)
def who_am_i():
    """The person the token was issued to."""
    return current_user()


# Tickets
# The operations on a ticket: the links of an answer naming a ticket (its ticket_no) lead
# to them, so that a client (and schemathesis) can follow a ticket's life.
TICKET_OPERATIONS = ("get_ticket", "accept", "return_ticket", "record_contact", "resolve",
                     "reassign", "urge", "request_extension", "decide_extension",
                     "request_pause", "decide_pause", "resume", "add_assist", "assign")


def ticket_links(status: int):
    """Document that the answer's ``ticket_no`` is what the ticket's operations take."""
    return tickets.doc(responses={str(status): {"links": {
        operation: {"operationId": operation,
                    "parameters": {"ticket_no": "$response.body#/ticket_no"}}
        for operation in TICKET_OPERATIONS}}})


@tickets.route("/tickets", methods=["POST"])
@refuses(403, 422)
@ticket_links(201)
@tickets.arguments(TicketRequestSchema)
@tickets.response(201, CreatedTicketSchema)
def create_ticket(ticket: dict):
    """Create a ticket from a call (agents). A repeat of an open ticket is merged into it:
    the answer is then that ticket, with ``merged`` true and ``calls`` counting this call.
    The same ``external_id`` always gives the same ticket.

    Rules across fields, refused with 422: the caller gives a name or a phone, or is
    ``anonymous``; only a consultation (``kind`` consult) has an ``answer``; a praise call
    (``kind`` praise), and only it, names what it ``praise``s (ticket_no or unit_id)."""
    refuse_unless(CALL_TAKERS, "create tickets")
    return call("intake", "create_ticket", ticket, actor())


@tickets.route("/tickets")
@refuses(403, 422)
@tickets.arguments(schemas.TicketSearchQuery, location="query")
@tickets.response(200, SearchAnswerSchema)
def search_tickets(query: dict):
    """Find tickets, open and closed, among those the reader may see: by number, a
    caller's phone (any format) or name, words of the description, place, category, unit,
    state and when received; sorted and paged, with the number found (``total``). Callers'
    phones are masked for readers who may not see the caller.

    Rule across fields, refused with 422: ``start`` is before ``end``."""
    asked = {key: value for key, value in query.items() if value not in (None, "", [])}
    for many, field in (("category", "categories"), ("unit_id", "unit_ids"),
                        ("state", "states")):
        if many in asked:
            asked[field] = asked.pop(many)
    return call("ledger", "search", actor(), asked)


def ticket_file(ticket_no: str, reader: str) -> dict:
    """A ticket as received, its state now and its timeline, each as the service holding
    it lets ``reader`` see it (services/shared/access.py): the console masks nothing
    itself and shows nothing a service refused. ``ticket`` is null for readers who see
    tickets through dispatch only (the units handling it)."""
    try:
        status = call("dispatch", "get_status", ticket_no, reader)
    except NotFound:  # a praise call, or dispatch has not received it yet
        status = None
    try:
        ticket = call("intake", "get_ticket", ticket_no, reader)
    except NotPermitted:
        if status is None:
            raise
        ticket = None
    try:
        timeline = call("ledger", "timeline", ticket_no, reader)
    except (NotFound, NotPermitted):  # not recorded yet, or the record lags dispatch
        timeline = []
    in_full = bool(status and status["caller_in_full"])
    return {"ticket": ticket, "status": status, "timeline": timeline, "caller_in_full": in_full}


@tickets.route("/tickets/<key(max=40):ticket_no>")
@refuses(403, 404)
@tickets.response(200, schemas.TicketFileSchema)
def get_ticket(ticket_no: str):
    """The ticket as received, its state now and its timeline. The caller's phone and room
    are shown in full only to the agent who took the call and the units handling it."""
    return ticket_file(ticket_no, actor())


def step(name: str, path: str, method: str, body: type | None, summary: str,
         arguments: tuple[str, ...] = ()) -> None:
    """An API route for a dispatch step on a ticket: POST /api/tickets/{ticket_no}/<path>
    with ``body``'s fields passed on as ``arguments`` (in that order, after the actor);
    answers the ticket's state after the step."""

    def take(*body: dict, ticket_no: str, **path_args: str):
        values = {**(body[0] if body else {}), **path_args}
        return call("dispatch", method, ticket_no, actor(), *(values.get(a) for a in arguments))

    take.__name__ = name
    take.__doc__ = summary
    view = refuses(403, 404, 409, 422)(ticket_links(200)(
        tickets.response(200, TicketStatusSchema)(take)))
    if body is not None:  # a body of optional fields may be left out
        required = any(field.required for field in body().fields.values())
        view = tickets.arguments(body, required=required)(view)
    tickets.route(f"/tickets/<key(max=40):ticket_no>/{path}", methods=["POST"], endpoint=name)(view)


step("accept", "accept", "accept", None,
     "Sign for a dispatched ticket (签收): staff of the unit holding it.")
step("return_ticket", "return", "return_ticket", schemas.ReturnBody,
     "Send a misrouted ticket back to the centre (退单), with the reason.", ("reason",))
step("record_contact", "contact", "record_contact", schemas.ContactBody,
     "Record that the unit reached the caller.", ("note",))
step("resolve", "resolve", "resolve", schemas.ResolveBody,
     "Record what was done (办结); the caller is phoned back next.\n\n"
     "Rule the schema cannot say, refused with 422 (``photos``): a ticket of a category the "
     "policy names in photos_at_resolve needs that many photos of the site attached since "
     "it was last dispatched (POST …/attachments first).", ("resolution",))
step("reassign", "reassign", "reassign", schemas.UnitBody,
     "Send the ticket to another unit with fresh deadlines (dispatchers, supervisors).\n\n"
     "Rule the schema cannot say, refused with 422: ``unit_id`` is not the centre itself.",
     ("unit_id", "note"))
step("urge", "urge", "urge", schemas.UrgeBody,
     "Chase the unit holding the ticket about the deadline it owes next (督办; supervisors).",
     ("note",))
step("request_extension", "extension", "request_extension", schemas.ExtensionBody,
     "Ask for more time (延期) until a later moment: the unit holding the ticket.\n\n"
     "Rule the schema cannot say, refused with 422: ``until`` is still to come and later "
     "than the deadline in force.",
     ("until", "reason", "deadline"))
step("decide_extension", "extension/decision", "decide_extension", schemas.DecisionBody,
     "Grant or refuse the waiting extension (supervisors).", ("approve", "note"))
step("request_pause", "pause", "request_pause", schemas.PauseBody,
     "Ask to stop the resolve clock while the work waits on the caller (挂起).\n\n"
     "Rule the schema cannot say, refused with 422: ``resume_on`` is still to come.",
     ("reason", "resume_on"))
step("decide_pause", "pause/decision", "decide_pause", schemas.DecisionBody,
     "Grant or refuse the waiting pause (supervisors).", ("approve", "note"))
step("resume", "resume", "resume", None,
     "End the pause: the resolve deadline moves later by the time paused.")
step("add_assist", "assists", "add_assist", schemas.UnitBody,
     "Ask another unit to assist (联勤联动): the centre or the lead unit.\n\n"
     "Rule the schema cannot say, refused with 422: ``unit_id`` is neither the centre nor "
     "the lead unit.", ("unit_id", "note"))
step("release_assist", "assists/<key:unit_id>/release", "release_assist", schemas.ContactBody,
     "Let an assisting unit go before it reports: the centre or the lead unit.",
     ("unit_id", "note"))
step("assign", "assign", "assign", schemas.AssignBody,
     "Give the ticket to a person of the unit holding it (承办人): its staff take it "
     "themselves (接单, their own username) or give it to a colleague (指派); the centre "
     "gives it to one of the unit's staff. Another unit or the centre clears it.\n\n"
     "Rule the schema cannot say, refused with 422: ``username`` is an active staff member "
     "of the unit holding the ticket.", ("username",))


# The ticket's record: internal notes and attachments (photos of the site, documents)
step("add_note", "notes", "add_note", schemas.NoteBody,
     "Add an internal note between staff (内部备注): the unit holding the ticket, assisting "
     "units, the centre, supervisors, admins. Shown to those who may read the ticket "
     "(``status.notes``, the timeline), never in Open311 nor to the caller.", ("note",))


@tickets.route("/tickets/<key(max=40):ticket_no>/attachments", methods=["POST"])
@refuses(403, 404, 409, 413, 422)
@tickets.arguments(schemas.AttachBody, location="files")
@tickets.response(201, TicketStatusSchema)
def attach_files(upload: dict, ticket_no: str):
    """Attach photos of the site or documents (multipart, repeat ``files``): whoever may
    add a note. Images are kept at most 1600 px on their longer side, with a thumbnail.
    Answers the ticket's state, its ``attachments`` included. Nothing of a refused upload
    is kept.

    Rules the schema cannot say: each file is a JPEG, PNG or WebP image, a PDF, or a Word
    or Excel document, read from its bytes (not its name), refused with 422 (``files``); a
    file over 10 MB is refused with 413."""
    return call("dispatch", "attach", ticket_no, actor(), files_sent(upload["files"])), 201


@tickets.route("/tickets/<key(max=40):ticket_no>/attachments")
@refuses(403, 404)
@tickets.response(200, AttachmentSchema(many=True))
def list_attachments(ticket_no: str):
    """The ticket's attachments, oldest first: name, type, size, who attached each, when,
    at which step (for those who may read the ticket)."""
    return call("dispatch", "get_status", ticket_no, actor())["attachments"]


def attachment_responses(description: str):
    return tickets.doc(responses={"200": {"description": description, "content": {
        content_type: {"schema": {"type": "string", "format": "binary"}}
        for content_type in ATTACHMENT_TYPES}}})


@tickets.route("/tickets/<key(max=40):ticket_no>/attachments/<key:attachment_id>")
@refuses(403, 404, 422)
@tickets.arguments(schemas.AttachmentQuery, location="query")
@attachment_responses("The file, its type as read when it was attached")
def get_attachment(query: dict, ticket_no: str, attachment_id: str):
    """An attachment's bytes, for those who may read the ticket: inline for images and
    PDFs (``download`` true: as a download), never kept by a shared cache."""
    return attachment_download(call("dispatch", "get_attachment", ticket_no, attachment_id,
                                    actor(), False), query["download"])


@tickets.route("/tickets/<key(max=40):ticket_no>/attachments/<key:attachment_id>/thumbnail")
@refuses(403, 404)
@attachment_responses("A JPEG thumbnail, at most 320 px")
def get_thumbnail(ticket_no: str, attachment_id: str):
    """An image attachment's thumbnail (JPEG), for those who may read the ticket; 404 for
    a document."""
    return attachment_download(call("dispatch", "get_attachment", ticket_no, attachment_id,
                                    actor(), True))


def own_unit(unit_id: str) -> None:
    """An assisting unit's staff act for their own unit only."""
    if signed_in().get("unit_id") != unit_id:
        raise NotPermitted("staff act for their own unit only")


@tickets.route("/tickets/<key(max=40):ticket_no>/assists/<key:unit_id>/accept", methods=["POST"])
@refuses(403, 404, 409)
@tickets.response(200, TicketStatusSchema)
def accept_assist(ticket_no: str, unit_id: str):
    """The assisting unit takes on its part: its staff only."""
    own_unit(unit_id)
    return call("dispatch", "accept_assist", ticket_no, actor())


@tickets.route("/tickets/<key(max=40):ticket_no>/assists/<key:unit_id>/report", methods=["POST"])
@refuses(403, 404, 409, 422)
@tickets.arguments(schemas.ReportBody)
@tickets.response(200, TicketStatusSchema)
def report_assist(fields: dict, ticket_no: str, unit_id: str):
    """The assisting unit reports its part done: its staff only."""
    own_unit(unit_id)
    return call("dispatch", "report_assist", ticket_no, actor(), fields["report"])


# Queues
@queues.route("/queues/<key:unit_id>")
@refuses(403, 404, 422)
@queues.arguments(schemas.QueueQuerySchema, location="query")
@queues.response(200, QueueRowSchema(many=True))
def queue(query: dict, unit_id: str):
    """The open tickets a unit holds or assists on (the centre's: those pending), high
    priority first, then by the nearest deadline. Unit staff read their own unit's;
    ``mine`` keeps those given to the reader (承办人)."""
    rows = call("dispatch", "queue", unit_id, actor(), query.get("state") or None)
    return as_dumped(mine_only(rows) if query.get("mine") else rows)


def as_dumped(answer: Any) -> Response:
    """An answer the service dumped with the very schema the route documents (one
    contract: services/shared/answers), sent as it came rather than dumped again: a
    queue of 300 rows took 9.5 ms to dump a second time, the largest part of the page."""
    return jsonify(answer)


def mine_only(rows: list[dict]) -> list[dict]:
    """The queue's tickets given to the signed-in person (承办人)."""
    return [row for row in rows if assigned_to_me(row)]


@queues.route("/units/<key:unit_id>/staff")
@refuses(403, 404)
@queues.response(200, ColleagueSchema(many=True))
def unit_staff(unit_id: str):
    """The unit's active staff, to give a ticket to (承办人): usernames and names only. Its
    own staff and the centre read it."""
    return call("accounts", "colleagues", unit_id, actor())


# Supervision
@supervision.route("/supervision")
@refuses(403)
@supervision.response(200, SupervisionSchema)
def supervision_list():
    """Overdue and near deadlines, and the extensions and pauses waiting for a decision
    (supervisors, dispatchers, admins)."""
    return call("dispatch", "supervision", actor())


# Indicators
def indicators_question(query: dict) -> tuple:
    return query["start"], query["end"], query.get("group_by") or None, query.get("interval")


@indicators.route("/indicators")
@refuses(403, 422)
@indicators.arguments(schemas.IndicatorsQuerySchema, location="query")
@indicators.response(200, IndicatorsSchema)
def indicator_figures(query: dict):
    """The figures for the Shanghai days [start, end), grouped by unit, subdistrict,
    category and/or person (``assignee``, 承办人: supervisors and admins only, 403 for
    others), per day or week if asked (supervisors, dispatchers, admins).

    Rule across fields, refused with 422: ``start`` is before ``end``."""
    return call("ledger", "indicators", actor(), *indicators_question(query))


@indicators.route("/indicators.xlsx")
@refuses(403, 422)
@indicators.arguments(schemas.IndicatorsQuerySchema, location="query")
@indicators.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
                     description="An Excel workbook: sheet 指标 and sheet 指标说明")
def indicator_workbook(query: dict):
    """The same figures as an Excel workbook, as a file download.

    Rule across fields, refused with 422: ``start`` is before ``end``."""
    return workbook_download(call("ledger", "indicators_xlsx", actor(),
                                  *indicators_question(query)))



# The directory
@directory.route("/directory")
@refuses(403)
@directory.response(200, DirectorySchema)
def get_directory():
    """Places, units and routing rules (to pick a unit for a reassignment or an assist)."""
    return call("dispatch", "get_directory", actor())


# Accounts (the accounts service lets admins manage them, and users read and issue tokens
# for their own)
@users.route("/users")
@refuses(403)
@users.response(200, UserProfileSchema(many=True))
def list_users():
    """Every account (admins)."""
    return call("accounts", "list_users", actor())


@users.route("/users", methods=["POST"])
@refuses(403, 404, 409, 422)
@users.arguments(NewUserSchema)
@users.response(201, UserProfileSchema)
def create_user(user: dict):
    """Add an account (admins). Unit staff name their handling unit; 404 when the
    directory has no unit of that ``unit_id``.

    Rules across fields, refused with 422: a person (every role but call_centre and
    callback_worker) has a ``password``, a program none; the password is not the
    username; the ``unit_id`` fits the role."""
    return call("accounts", "create_user", user, actor())


@users.route("/users/<username:username>")
@refuses(403, 404)
@users.response(200, UserProfileSchema)
def get_user(username: str):
    """An account (admins, or the user themself)."""
    return call("accounts", "get_user", username, actor())


@users.route("/users/<username:username>", methods=["PATCH"])
@refuses(403, 404, 409, 422)
@users.arguments(UserChangesSchema)
@users.response(200, UserProfileSchema)
def update_user(changes: dict, username: str):
    """Change an account's name, role, unit, password, or deactivate it (active false:
    no more sign-in, by password or token). Admins.

    Rules across fields, refused with 422: at least one change is named; a new password
    is not the username; the unit fits the role."""
    return call("accounts", "update_user", username, changes, actor())


@users.route("/users/<username:username>/tokens", methods=["POST"])
@refuses(403, 404, 409, 422)
@users.arguments(schemas.TokenRequestSchema)
@users.response(201, IssuedTokenSchema)
def issue_token(fields: dict, username: str):
    """A new API token (admins, or the user themself), living ``days`` (default 90, at
    most 365), read-only if asked. The token is in this answer only."""
    return call("accounts", "issue_token", username, fields["name"], actor(), fields["days"],
                fields["read_only"])


@users.route("/users/<username:username>/tokens/<key:token_id>", methods=["DELETE"])
@refuses(403, 404)
@users.response(200, UserProfileSchema)
def revoke_token(username: str, token_id: str):
    """Revoke a token: it is refused from the next request on."""
    return call("accounts", "revoke_token", username, token_id, actor())


# The register of vulnerable residents (the register service keeps it and decides whose
# residents each person may see and change; reads pass the actor on, changes keep the pages'
# rule of who keeps it)
KEEPERS = ("unit_staff", "admin")


def keeper() -> str:
    refuse_unless(KEEPERS, "keep the register")
    return actor()


def day(value: dt.date | None) -> str | None:
    """A date as the ledger takes it (YYYY-MM-DD), or none."""
    return value.isoformat() if value is not None else None


@residents.route("/register")
@refuses(403, 422)
@residents.arguments(schemas.RegisterQuery, location="query")
@residents.response(200, ResidentRowSchema(many=True))
def find_residents(query: dict):
    """Residents meeting every filter given, in address order (no health notes, contacts
    or history: those are on the card). Retired ones only with ``include_retired``."""
    return call("register", "find_residents", actor(), query.get("phone"), query.get("place"),
                query.get("living_status"), query.get("group"), query.get("min_age"),
                query.get("grid_unit_id"), query["include_retired"], query["limit"])


@residents.route("/register", methods=["POST"])
@refuses(403, 409, 422)
@residents.arguments(schemas.ResidentBody)
@residents.response(201, ResidentRecordSchema)
def add_resident(resident: dict):
    """Add a resident; answers their card. 409 when the same person (by name and phone,
    or name and room) is in the register already: the message names them.

    Rules the schema cannot say, refused with 422: the birth date is not in the future
    nor before 1880."""
    return call("register", "add_resident", resident, keeper())


@residents.route("/register/birthdays")
@refuses(403, 422)
@residents.arguments(schemas.BirthdaysQuery, location="query")
@residents.response(200, BirthdaySchema(many=True))
def birthdays(query: dict):
    """The unit's residents whose birthday falls in the ``days`` from ``start``, in date
    order, with the day it falls on and the age reached. Retired residents are left out.

    Rule the schema cannot say, refused with 422: someone without a unit of their own
    (an admin) names ``grid_unit_id``."""
    who = actor()
    unit_id = query.get("grid_unit_id") or signed_in().get("unit_id")
    if not unit_id:  # the rule the description names
        raise InvalidRequest({"grid_unit_id": ["Name the unit."]})
    return call("register", "birthdays", unit_id, day(query.get("start")), query["days"], who)


@residents.route("/register/template")
@refuses(403)
@residents.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
                    description="The blank register (.xlsx) with a sheet explaining each column")
def register_template():
    """The blank register to fill in and import."""
    keeper()
    return workbook_download(call("register", "register_template"))


@residents.route("/register/export")
@refuses(403, 422)
@residents.arguments(schemas.RegisterFilterQuery, location="query")
@residents.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
                    description="The register (.xlsx) in the template's columns")
def register_export(query: dict):
    """The register, filtered as the list, as an .xlsx in the template's columns (retired
    residents left out); importing it back changes nothing. Each card's read is recorded."""
    return workbook_download(call(
        "register", "export_register", actor(), query.get("grid_unit_id"), query.get("place"),
        query.get("living_status"), query.get("group"), query.get("min_age")))


@residents.route("/register/import", methods=["POST"])
@refuses(403, 422)
@residents.arguments(schemas.ImportBody, location="files")
@residents.response(200, ImportReportSchema)
def register_import(upload: dict):
    """Import a register file (multipart ``file``): each row is added, changed, unchanged
    or refused with its reasons, or skipped (a blank row, a footer, a note) with why;
    columns not in the template are listed, not read. With ``dry_run`` (the default)
    nothing is written: send the same file again with ``dry_run`` false to apply it.

    Rule the schema cannot say, refused with 422: the file is a readable .xlsx, or a .csv
    in UTF-8 or GBK."""
    who = keeper()
    file = upload["file"]
    content = base64.b64encode(file.read()).decode("ascii")
    return call("register", "import_register", content, file.filename or "register.xlsx", who,
                upload["dry_run"])


@residents.route("/residents/<key(max=100):resident_id>")
@refuses(403, 404)
@residents.response(200, ResidentRecordSchema)
def get_resident(resident_id: str):
    """A resident's card; this read is recorded in its ``views``."""
    return call("register", "get_resident", resident_id, actor())


@residents.route("/residents/<key(max=100):resident_id>", methods=["PATCH"])
@refuses(403, 404, 409, 422)
@residents.arguments(schemas.ResidentChangesBody(partial=schemas.RESIDENT_FIELDS))
@residents.response(200, ResidentRecordSchema)
def change_resident(changes: dict, resident_id: str):
    """Change some of a resident's fields as of the ``version`` read; answers the card.
    409 when someone changed the resident since, or the resident is retired.

    Rules the schema cannot say, refused with 422: at least one field beside ``version``
    changes; the birth date is not in the future nor before 1880."""
    version = changes.pop("version")
    return call("register", "change_resident", resident_id, changes, keeper(), version)


@residents.route("/residents/<key(max=100):resident_id>/retire", methods=["POST"])
@refuses(403, 404, 409, 422)
@residents.arguments(schemas.RetireBody)
@residents.response(200, ResidentRecordSchema)
def retire_resident(fields: dict, resident_id: str):
    """Retire a resident, with the reason: kept with their history, no longer listed or
    phoned. 409 when retired already."""
    return call("register", "retire_resident", resident_id, keeper(), fields["reason"])


@residents.route("/residents/<key(max=100):resident_id>/checkins/pause", methods=["POST"])
@refuses(403, 404, 409, 422)
@residents.arguments(schemas.PauseCheckinsBody)
@residents.response(200, ResidentRecordSchema)
def pause_checkins(fields: dict, resident_id: str):
    """Stop the check-in calls (a hospital stay, travel) until a day or until resumed, the
    plan kept. 409 without a plan, when paused already, or ``until`` is past."""
    return call("register", "pause_checkins", resident_id, keeper(), day(fields["until"]),
                fields["reason"])


@residents.route("/residents/<key(max=100):resident_id>/checkins/resume", methods=["POST"])
@refuses(403, 404, 409, 422)
@residents.arguments(schemas.ResumeCheckinsBody, required=False)
@residents.response(200, ResidentRecordSchema)
def resume_checkins(fields: dict, resident_id: str):
    """Phone the resident again on their plan as it was. 409 when not paused."""
    return call("register", "resume_checkins", resident_id, keeper(), fields.get("reason"))


@residents.route("/residents/<key(max=100):resident_id>/tickets")
@refuses(403, 404)
@residents.response(200, ListedTicketSchema(many=True))
def resident_tickets(resident_id: str):
    """The tickets with this resident's card on them (their calls, the welfare checks of
    missed check-ins), newest first."""
    return call("register", "tickets_of_resident", resident_id, actor())


@residents.route("/residents/<key(max=100):resident_id>/views")
@refuses(403, 404, 422)
@residents.arguments(schemas.CardViewsQuery, location="query")
@residents.response(200, CardViewSchema(many=True))
def resident_card_views(query: dict, resident_id: str):
    """Who looked at the resident's card, newest first: the card page, look-ups by phone,
    exports and the card on tickets (supervisors and admins)."""
    return call("register", "card_views", resident_id, actor(), query["limit"])


@residents.route("/residents/<key(max=100):resident_id>/checkins")
@refuses(403, 404, 422)
@residents.arguments(schemas.CheckinsQuery, location="query")
@residents.response(200, CheckinSchema(many=True))
def resident_checkins(query: dict, resident_id: str):
    """The resident's check-in calls, the latest planned first. Reading them is reading the
    card (recorded in its ``views``): the phones are in full."""
    card = call("register", "get_resident", resident_id, actor())
    return call("callback", "checkins_for", card["resident_id"], actor(), query["limit"])


def register(app: Flask, csrf) -> None:
    app.config.update(
        API_TITLE=TITLE, API_VERSION="1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": __doc__},
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "An API token (POST /api/users/{username}/tokens)"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    app.url_map.converters.update(key=KeyConverter, username=UsernameConverter)
    api = ConsoleApi(app)
    api.register_converter(KeyConverter, path_parameter)
    api.ma_plugin.converter.add_attribute_function(null_or_nested)
    api.register_converter(UsernameConverter, path_parameter)
    from services.console.live_api import LIVE_BLUEPRINTS

    for made in BLUEPRINTS + LIVE_BLUEPRINTS:
        api.register_blueprint(made)
        csrf.exempt(made)
    app.extensions["hotline_api"] = api
