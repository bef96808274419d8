"""The pages people use: server-rendered, in Chinese, usable on a phone.

Signing in and out; home, which sends each role where its work is; a unit's queue; the
dispatch centre; a ticket with the steps its viewer may take now (dispatch says which:
get_status's ``actions``); a new ticket for agents; supervision with indicators and
charts; and the admin's accounts (admin_pages.py). Every read and step is an RPC with the
signed-in person as the actor; a step the services refuse comes back as their message,
bad input as field errors next to the fields, keeping what was typed.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError

from services.console import display, errors
from services.console.auth import (
    actor,
    current_user,
    log_in,
    log_out,
    require,
    services,
    signed_in,
)
from services.console.downloads import attachment_download
from services.console.uploads import TooLarge, files_sent
from services.shared import clock
from services.shared.directory import CENTRE_ID, CENTRE_KIND
from services.shared.errors import (
    HotlineError,
    IllegalTransition,
    InvalidRequest,
    NotFound,
    NotPermitted,
)
from services.shared.rpc_client import ServicesUnavailable
from services.shared.schemas import CENTRE_ROLES
from services.shared.states import ASSIST_OWING, OPEN_STATES

blueprint = Blueprint("pages", __name__)

TICKET_TAKERS = ("agent", "dispatcher", "admin")
SUPERVISION_READERS = CENTRE_ROLES  # dispatch lets the centre read the supervision list


def call(service: str, method: str, *args: Any) -> Any:
    return services().call(service, method, *args)


# Signing in and out
@blueprint.route("/login", methods=["GET", "POST"])
def login():
    target = local_path(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target or url_for(".home"))
        return render_template("login.html", next=target)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        return render_template("login.html", next=target, username=username,
                               message="请输入用户名和密码"), 401
    try:
        log_in(username, password)
    except (NotPermitted, InvalidRequest) as refused:
        # a username that could not exist is refused as an unknown one is
        message = display.sign_in_refusal(
            str(refused) if isinstance(refused, NotPermitted) else "wrong username or password")
        return render_template("login.html", next=target, username=username,
                               message=message), 401
    return redirect(target or url_for(".home"))


@blueprint.route("/logout", methods=["POST"])
def logout():
    log_out()
    flash("已退出登录", "ok")
    return redirect(url_for(".login"))


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (where to go after signing in), else None:
    never another site, whatever is sent."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 for ch in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target.rstrip("?") or "/"


HOMES = {
    "unit_staff": lambda user: url_for(".queue", unit_id=user["unit_id"]),
    "dispatcher": lambda user: url_for(".centre"),
    "supervisor": lambda user: url_for(".supervision"),
    "agent": lambda user: url_for(".new_ticket"),
    "admin": lambda user: url_for("pages.users"),
}


@blueprint.route("/")
@require()
def home():
    """Where each role's work is."""
    user = signed_in()
    if user["role"] == "unit_staff" and not user.get("unit_id"):
        abort(403)
    return redirect(HOMES[user["role"]](user))


# The directory, for unit pickers (read once per request)
def directory() -> dict:
    if "directory" not in g:
        g.directory = call("dispatch", "get_directory", actor())
    return g.directory


def handling_units() -> list[dict]:
    return [unit for unit in directory()["units"] if unit["kind"] != CENTRE_KIND]


def unit_name(unit_id: str) -> str:
    user = signed_in()
    if user.get("unit_id") == unit_id and user.get("unit_name"):
        return user["unit_name"]
    return next((unit["name"] for unit in directory()["units"] if unit["id"] == unit_id),
                unit_id)


# Queues
@blueprint.route("/units/<unit_id>/queue")
@require()
def queue(unit_id: str):
    """A unit's open tickets (those it leads or assists), high priority first, then the
    nearest deadline; filtered by state and category."""
    now = clock.now()
    rows = [{**ticket, "next": display.next_deadline(ticket, now)}
            for ticket in queue_tickets(unit_id)]
    filters = {name: request.args[name] for name in ("state", "category", "mine")
               if request.args.get(name)}  # what the page's exports pass on
    return render_template("queue.html", unit_id=unit_id, unit_name=unit_name(unit_id),
                           rows=rows, state=filters.get("state", ""),
                           category=filters.get("category", ""),
                           mine=filters.get("mine") == "1", filters=filters)


def queue_tickets(unit_id: str) -> list[dict]:
    """The unit's queue as the request's filters narrow it: ``state``, ``category``, and
    ``mine`` (only those given to the signed-in person)."""
    state = request.args.get("state") or ""
    category = request.args.get("category") or ""
    states = [state] if state in OPEN_STATES else None
    tickets = call("dispatch", "queue", unit_id, actor(), states)
    if category:
        tickets = [ticket for ticket in tickets if ticket["category"] == category]
    if request.args.get("mine") == "1":
        tickets = [ticket for ticket in tickets if assigned_to_me(ticket)]
    return tickets


def assigned_to_me(ticket: dict) -> bool:
    """Whether the ticket is given to the signed-in person (承办人)."""
    username = (ticket.get("assignee") or {}).get("username") or ""
    return username.lower() == signed_in()["id"].lower()


@blueprint.route("/centre")
@require(*CENTRE_ROLES)
def centre():
    """Tickets waiting at the dispatch centre (no rule routed them, or a unit sent them
    back), each with a one-step reassignment."""
    now = clock.now()
    rows = [{**ticket, "next": display.next_deadline(ticket, now)}
            for ticket in centre_tickets()]
    return render_template("centre.html", rows=rows, units=handling_units())


def centre_tickets() -> list[dict]:
    """The tickets waiting at the centre, as dispatch lists them for the reader."""
    return call("dispatch", "queue", CENTRE_ID, actor())


# A ticket
@blueprint.route("/tickets")
@require()
def find_ticket():
    number = (request.args.get("no") or "").strip().upper()
    if not number:
        return redirect(url_for(".home"))
    return redirect(url_for(".ticket", ticket_no=number))


@blueprint.route("/tickets/<ticket_no>")
@require()
def ticket(ticket_no: str):
    return render_ticket(ticket_no)


def render_ticket(ticket_no: str, failed: dict | None = None, status: int = 200):
    """The ticket page; ``failed`` = {action, errors, typed, message} re-shows a refused
    step with what was typed. Each part is as the service holding it lets this reader see
    it (services/shared/access.py): the console masks nothing itself."""
    try:
        view = call("dispatch", "get_status", ticket_no, actor())
    except NotFound:
        return render_received(ticket_no, status)
    received = _received(ticket_no)
    timeline = _timeline(ticket_no)
    missing = [part for part, answer in (("intake", received), ("ledger", timeline))
               if answer is None]  # the parts that did not answer: the page goes without
    now = clock.now()
    may = view["actions"]  # dispatch's word on what this person may do now
    units = handling_units() if {"reassign", "add_assist"} & set(may) else []
    return render_template(
        "ticket.html", t=view, received=received or {}, timeline=timeline or [],
        missing=missing, actions=may,
        colleagues=_colleagues(view) if "assign" in may else [],
        health_notes=_health_notes(view.get("resident")),
        deadlines=display.deadlines_of(view, now), unmet=display.unmet_deadlines(view),
        units=units, failed=failed or {}, owing=[assist for assist in view["assists"]
                                                  if assist["status"] in ASSIST_OWING],
    ), status


def render_received(ticket_no: str, status: int):
    """A ticket dispatch does not hold: a praise call, or one still on its way there, as
    intake lets this reader see it (NotFound, NotPermitted: their pages)."""
    ticket = call("intake", "get_ticket", ticket_no, actor())
    timeline = _timeline(ticket_no)
    praised = (ticket.get("praise") or {}).get("unit_id")
    return render_template("received.html", t=ticket, timeline=timeline or [],
                           praised_unit=unit_name(praised) if praised else None,
                           missing=["ledger"] if timeline is None else []), status


def _health_notes(resident: dict | None) -> str | None:
    """The health notes of the resident a ticket is about, as the register answers them to
    the person signed in: tickets and events never carry them, and the register decides
    who may read the card (and records the read). None for those who may not, or while
    the register does not answer: the ticket page works without them."""
    user = signed_in()
    if not resident or user["role"] != "unit_staff" \
            or user.get("unit_id") != resident.get("grid_unit_id"):
        return None  # only the resident's grid reads them: nobody else need ask (a read)
    try:
        card = call("register", "get_resident", resident["resident_id"], actor())
    except (NotPermitted, NotFound, InvalidRequest, ServicesUnavailable):
        return None
    return card.get("health_notes")


def _colleagues(view: dict) -> list[dict]:
    """The holding unit's active staff, to give the ticket to (accounts.colleagues); none
    while accounts does not answer: the rest of the page works without them."""
    try:
        return call("accounts", "colleagues", view["unit_id"], actor())
    except (NotPermitted, NotFound, InvalidRequest, ServicesUnavailable):
        return []


def _received(ticket_no: str) -> dict | None:
    """The ticket as received, for readers intake shows it to (units read it through
    dispatch: what they may see of it is on the view); None while intake does not answer
    (the page shows dispatch's ticket without it)."""
    try:
        return call("intake", "get_ticket", ticket_no, actor())
    except (NotFound, NotPermitted):
        return {}
    except ServicesUnavailable:
        return None


def _timeline(ticket_no: str) -> list[dict] | None:
    """The ticket's history as the ledger records it; None while the ledger does not
    answer (the page marks its history unavailable, and shows the rest)."""
    try:
        return call("ledger", "timeline", ticket_no, actor())
    except (NotFound, NotPermitted):  # not recorded yet, or the record lags dispatch
        return []
    except ServicesUnavailable:
        return None


# The steps, as forms post them: each field's name and how it is read
TEXT, OPTIONAL, MOMENT, OPTIONAL_MOMENT, DECISION = "text", "optional", "moment", \
    "optional_moment", "decision"
STEP_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "accept": (), "resume": (), "accept_assist": (),
    "return_ticket": (("reason", TEXT),),
    "record_contact": (("note", OPTIONAL),),
    "resolve": (("resolution", TEXT),),
    "report_assist": (("report", TEXT),),
    "urge": (("note", TEXT),),
    "request_extension": (("until", MOMENT), ("reason", TEXT), ("deadline", TEXT)),
    "request_pause": (("reason", TEXT), ("resume_on", OPTIONAL_MOMENT)),
    "decide_extension": (("approve", DECISION), ("note", OPTIONAL)),
    "decide_pause": (("approve", DECISION), ("note", OPTIONAL)),
    "reassign": (("unit_id", TEXT), ("note", OPTIONAL)),
    "add_assist": (("unit_id", TEXT), ("note", OPTIONAL)),
    "release_assist": (("unit_id", TEXT), ("note", OPTIONAL)),
    "assign": (("username", TEXT),),
    "add_note": (("note", TEXT),),
}
DONE = {
    "accept": "已签收", "record_contact": "已记录联系市民", "resolve": "已办结，等待回访",
    "return_ticket": "已退单，工单回到派单中心",
    "request_extension": "延期申请已提交，等待督办审批",
    "request_pause": "挂起申请已提交，等待督办审批", "resume": "已恢复办理",
    "accept_assist": "已签收协办", "report_assist": "协办情况已反馈", "urge": "已督办",
    "reassign": "已改派", "add_assist": "已增加协办单位", "release_assist": "已结束协办",
    "decide_extension": "已审批延期申请", "decide_pause": "已审批挂起申请",
    "assign": "已指派",
    "add_note": "已添加内部备注",
}
TAKEN = "已接单"  # assign, to oneself
REFUSALS = (InvalidRequest, NotPermitted, IllegalTransition, NotFound)


def step_args(action: str, form) -> list:
    """The RPC's arguments after ticket_no and actor, read from the form; InvalidRequest
    for a time that cannot be read."""
    args, problems = [], {}
    for name, how in STEP_FIELDS[action]:
        value = (form.get(name) or "").strip()
        if how == OPTIONAL:
            args.append(value or None)
        elif how == DECISION:
            args.append(value == "1")
        elif how in (MOMENT, OPTIONAL_MOMENT):
            if not value and how == OPTIONAL_MOMENT:
                args.append(None)
                continue
            moment = shanghai_moment(value)
            if moment is None:
                problems[name] = ["请选择日期和时间"]
            args.append(moment)
        else:
            args.append(value)
    if problems:
        raise InvalidRequest(problems)
    return args


def shanghai_moment(text: str) -> str | None:
    """A time typed in a form (datetime-local, Shanghai) as ISO UTC; None if unreadable."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.SHANGHAI)
    return clock.iso(moment)


@blueprint.route("/tickets/<ticket_no>/<action>", methods=["POST"])
@require()
def act(ticket_no: str, action: str):
    """Take one step on a ticket; back to the ticket (or the page the form names)."""
    if action not in STEP_FIELDS:
        abort(404)
    try:
        args = step_args(action, request.form)
        if action == "resolve":  # photos of the site come with it (现场照片)
            args.append(files_sent(request.files.getlist("photos"), "photos"))
        call("dispatch", action, ticket_no, actor(), *args)
    except REFUSALS as refused:
        return render_ticket(ticket_no, failed=refused_step(action, refused),
                             status=refused_status(refused))
    taken = action == "assign" and \
        (request.form.get("username") or "").strip().lower() == signed_in()["id"].lower()
    flash(TAKEN if taken else DONE[action], "ok")
    return redirect(local_path(request.form.get("next"))
                    or url_for(".ticket", ticket_no=ticket_no))


def refused_status(refused: HotlineError) -> int:
    return 413 if isinstance(refused, TooLarge) else errors.STATUS[type(refused)]


# The ticket's attachments (photos of the site, documents)
@blueprint.route("/tickets/<ticket_no>/attachments", methods=["POST"])
@require()
def attach(ticket_no: str):
    """Upload photos or documents to the ticket on their own; back to the ticket."""
    try:
        files = files_sent(request.files.getlist("files"))
        if not files:
            raise InvalidRequest({"files": ["请选择要上传的文件"]})
        call("dispatch", "attach", ticket_no, actor(), files)
    except REFUSALS as refused:
        return render_ticket(ticket_no, failed=refused_step("attach", refused),
                             status=refused_status(refused))
    flash(f"已上传 {len(files)} 个附件", "ok")
    return redirect(url_for(".ticket", ticket_no=ticket_no) + "#attachments")


@blueprint.route("/tickets/<ticket_no>/attachments/<attachment_id>")
@require()
def attachment(ticket_no: str, attachment_id: str):
    """An attachment, for those who may read the ticket (dispatch checks)."""
    return attachment_download(call("dispatch", "get_attachment", ticket_no, attachment_id,
                                    actor(), False), request.args.get("download") == "1")


@blueprint.route("/tickets/<ticket_no>/attachments/<attachment_id>/thumbnail")
@require()
def thumbnail(ticket_no: str, attachment_id: str):
    """An image attachment's thumbnail, for those who may read the ticket."""
    return attachment_download(call("dispatch", "get_attachment", ticket_no, attachment_id,
                                    actor(), True))


def refused_step(form_name: str, refused: HotlineError) -> dict:
    """What a form shows after the services refused it: field errors, or their message."""
    if isinstance(refused, InvalidRequest):
        return {"action": form_name, "errors": display.flat_errors(refused.errors),
                "typed": request.form, "message": "请检查填写的内容"}
    return {"action": form_name, "errors": {}, "typed": request.form,
            "message": display.refusal(refused)}


# A new ticket, for agents taking calls without call-centre software
@blueprint.route("/tickets/new", methods=["GET", "POST"])
@require(*TICKET_TAKERS)
def new_ticket():
    if request.method == "GET":
        return render_new_ticket({}, {"channel": "hotline", "urgency": "normal",
                                      "external_id": f"console-{uuid.uuid4().hex}"})
    try:
        ticket = call("intake", "create_ticket", ticket_request(request.form), actor())
    except InvalidRequest as refused:
        return render_new_ticket(display.flat_errors(refused.errors), request.form), 422
    # the next page shows the ticket just made from this message: flask keeps any JSON value
    created: Any = {"ticket_no": ticket["ticket_no"], "merged": ticket.get("merged", False),
                    "calls": ticket.get("calls", 1), "status": ticket["status"],
                    "priority": ticket["priority"]}
    flash(created, "created")
    return redirect(url_for(".new_ticket"))


def render_new_ticket(field_errors: dict, values) -> str:
    levels: dict[str, set[str]] = {level: set() for level, _ in display.ADDRESS_LEVELS}
    _collect_places(directory()["places"], 0, levels)
    return render_template("new_ticket.html", errors=field_errors, values=values,
                           places={level: sorted(names) for level, names in levels.items()},
                           units=handling_units())


def _collect_places(places: list[dict], depth: int, levels: dict[str, set]) -> None:
    """Every place name the directory knows at each address level, for the form's hints."""
    level = display.ADDRESS_LEVELS[depth][0] if depth < 5 else None
    for place in places or []:
        if level:
            levels[level].add(place["name"])
        _collect_places(place.get("children") or [], depth + 1, levels)


def ticket_request(form) -> dict:
    """intake.create_ticket's request from the form. Blank optional fields are left out;
    blank required ones are sent blank, for intake to name them."""
    def given(name: str) -> str | None:
        return (form.get(name) or "").strip() or None

    request_ = {
        "channel": form.get("channel", ""),
        "caller": {"name": given("caller.name"), "phone": given("caller.phone"),
                   "anonymous": form.get("caller.anonymous") == "1"},
        "kind": form.get("kind", ""),
        "category": form.get("category", ""),
        "description": form.get("description", ""),
        "address": {level: given(f"address.{level}") for level, _ in display.ADDRESS_LEVELS},
        "urgency": form.get("urgency") or "normal",
        "merge": form.get("new_matter") != "1",
        "external_id": given("external_id"),
    }
    request_["address"]["district"] = form.get("address.district", "")
    if given("answer"):
        request_["answer"] = given("answer")
    if given("praise.ticket_no") or given("praise.unit_id"):
        request_["praise"] = {"ticket_no": given("praise.ticket_no"),
                              "unit_id": given("praise.unit_id")}
    return request_


def register(app: Flask) -> None:
    from services.console import (  # noqa: F401 (their routes)
        admin_pages,
        list_exports,
        live_pages,
        register_pages,
        search_pages,
        supervision_pages,
    )

    app.register_blueprint(blueprint)

    @app.errorhandler(CSRFError)
    def stale_form(error):
        return errors.respond(400, "页面已过期或不是从本系统提交的，请刷新页面后重试。")

    @app.context_processor
    def people_and_words() -> dict:
        user = current_user()
        return {"user": user, "words": display, "nav": navigation(user),
                "ROLE_WORDS": display.ROLE_WORDS}

    for name, words in FILTER_WORDS.items():
        app.add_template_filter(lambda value, words=words: display.word(words, value), name)
    app.add_template_global(choices)
    app.add_template_global(lambda names: [(name, display.DEADLINE_WORDS[name]) for name in names],
                            "deadline_choices")
    live_pages.register_globals(app)
    app.add_template_filter(display.local_time, "local")
    app.add_template_filter(display.via, "via")
    app.add_template_filter(display.place, "place")
    app.add_template_filter(display.phone, "phone")
    app.add_template_filter(display.age, "age")
    app.add_template_filter(display.born, "born")
    app.add_template_filter(lambda value: display.word(display.LIVING_WORDS, value), "living")
    app.add_template_filter(display.hours, "hours")
    app.add_template_filter(display.percent, "percent")
    app.add_template_filter(display.file_size, "filesize")
    app.add_template_filter(lambda due_at: display.time_left(due_at, clock.now()), "left")


def choices(items, value_key: str, text_key: str) -> list[tuple[str, str]]:
    """(value, text) pairs for a select, from dicts (units, assists)."""
    return [(item[value_key], item[text_key]) for item in items]


FILTER_WORDS = {
    "state": display.STATE_WORDS, "kind": display.KIND_WORDS, "category": display.CATEGORY_WORDS,
    "channel": display.CHANNEL_WORDS, "urgency": display.URGENCY_WORDS,
    "deadline": display.DEADLINE_WORDS, "role": display.ROLE_WORDS,
    "assist_status": display.ASSIST_WORDS, "request_status": display.REQUEST_WORDS,
    "outcome": display.OUTCOME_WORDS, "reason": display.PRIORITY_REASONS,
    "filetype": display.FILE_TYPE_WORDS, "attached_with": display.ATTACHED_WITH_WORDS,
}
NAVIGATION = {
    "unit_staff": (("本单位工单", "queue"), ("工单查询", "search"), ("台账", "register_list"),
                   ("关爱", "care")),
    "dispatcher": (("派单中心", "centre"), ("督办", "supervision"), ("新建工单", "new_ticket"),
                   ("工单查询", "search")),
    "supervisor": (("督办", "supervision"), ("派单中心", "centre"), ("工单查询", "search")),
    "agent": (("新建工单", "new_ticket"), ("工单查询", "search")),
    "admin": (("用户管理", "users"), ("派单中心", "centre"), ("督办", "supervision"),
              ("新建工单", "new_ticket"), ("工单查询", "search"), ("台账", "register_list")),
}


def navigation(user: dict | None) -> list[dict]:
    """The links of the signed-in person's role: {label, href, endpoint}."""
    if user is None:
        return []
    links = []
    for label, endpoint in NAVIGATION.get(user["role"], ()):
        if endpoint == "queue":
            if not user.get("unit_id"):
                continue
            href = url_for("pages.queue", unit_id=user["unit_id"])
        else:
            href = url_for(f"pages.{endpoint}")
        links.append({"label": label, "href": href, "endpoint": f"pages.{endpoint}"})
    return links
