"""The register of vulnerable residents (台账) in the console: a unit's list with filters,
export and import (a dry run first, then applying the same file), a resident's card with
their tickets and check-in history, the add and edit forms, retiring, pausing check-ins,
and a grid worker's care page (this week's birthdays, missed check-ins). Routes of the
pages blueprint; the register service keeps it, decides who may see and change whom and
records every read of a card.
"""
from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from services.console import display, errors
from services.console.auth import actor, require, signed_in
from services.console.downloads import workbook_download
from services.console.pages import REFUSALS, blueprint, call, handling_units, unit_name
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest, NotPermitted
from services.shared.schemas import SUPERVISOR_ROLES
from services.shared.words import (
    CHECKIN_RESULT_WORDS,
    IMPORT_ACTION_WORDS,
    REGISTER_CHANGE_WORDS,
    RESIDENT_FIELD_WORDS,
)

KEEPERS = ("unit_staff", "admin")  # who keep a unit's register
WEEKDAYS = ((1, "周一"), (2, "周二"), (3, "周三"), (4, "周四"), (5, "周五"), (6, "周六"),
            (7, "周日"))
CONTACT_ROWS = 3
MISSED_DAYS = 7


def words() -> dict:
    return call("register", "register_words", actor())


def own_unit(asked: str | None) -> str | None:
    """The unit whose register is shown: unit staff always their own; an admin the one
    picked (None: every unit)."""
    user = signed_in()
    if user["role"] == "unit_staff":
        if not user.get("unit_id"):
            abort(403)
        return user["unit_id"]
    return asked or None


def filters() -> dict:
    """find_residents' filters as the list's form sends them; a bad age is left out."""
    age = (request.args.get("min_age") or "").strip()
    return {"living_status": request.args.get("living_status") or None,
            "group": request.args.get("group") or None,
            "min_age": int(age) if age.isdigit() and int(age) <= 150 else None}


# The list, export and the template
@blueprint.route("/register")
@require(*KEEPERS)
def register_list():
    unit_id = own_unit(request.args.get("unit_id"))
    asked = filters()
    include_retired = request.args.get("include_retired") == "1"
    residents = call("register", "find_residents", actor(), None, None, asked["living_status"],
                     asked["group"], asked["min_age"], unit_id, include_retired)
    return render_template(
        "register_list.html", residents=residents, unit_id=unit_id or "",
        unit_name=unit_name(unit_id) if unit_id else "全部单位", asked=asked,
        include_retired=include_retired, register_words=words(), query=request.args.to_dict(),
        units=handling_units() if signed_in()["role"] == "admin" else [])


@blueprint.route("/register/export")
@require(*KEEPERS)
def register_export():
    unit_id = own_unit(request.args.get("unit_id"))
    asked = filters()
    return workbook_download(call("register", "export_register", actor(), unit_id, None,
                                  asked["living_status"], asked["group"], asked["min_age"]))


@blueprint.route("/register/template")
@require(*KEEPERS)
def register_template():
    return workbook_download(call("register", "register_template"))


# A resident's card
@blueprint.route("/residents/<resident_id>")
@require(*KEEPERS)
def resident(resident_id: str):
    return render_card(resident_id)


@blueprint.route("/residents/<resident_id>/views")
@require(*SUPERVISOR_ROLES)
def card_views(resident_id: str):
    """Who looked at the resident's card (register.card_views: supervisors and admins)."""
    views = call("register", "card_views", resident_id, actor())
    names = {view["actor"]["unit_id"]: unit_name(view["actor"]["unit_id"]) for view in views
             if view["actor"].get("unit_id")}
    return render_template("card_views.html", resident_id=resident_id, views=views,
                           unit_names=names)


def render_card(resident_id: str, failed: dict | None = None, status: int = 200,
                editing: bool = False):
    """The card (the register records this read; another unit's resident is its 403), their
    tickets and check-ins; ``failed`` re-shows a refused form with what was typed."""
    card = call("register", "get_resident", resident_id, actor())
    tickets = call("register", "tickets_of_resident", resident_id, actor())
    # phones in full: only now that the register has let this person read the card
    checkins = call("callback", "checkins_for", resident_id, actor(), 30)
    return render_template(
        "resident.html", r=card, tickets=tickets, checkins=checkins, register_words=words(),
        failed=failed or {}, values=failed["typed"] if failed and failed["action"] == "edit"
        else form_values(card),
        editing=editing or bool(failed and failed.get("action") == "edit"),
        units=handling_units() if signed_in()["role"] == "admin" else [],
        unit_label=unit_name(card["grid_unit_id"]) if card.get("grid_unit_id") else "",
        **page_words()), status


def page_words() -> dict:
    return {"weekdays": WEEKDAYS, "contact_rows": range(CONTACT_ROWS),
            "history_words": REGISTER_CHANGE_WORDS, "result_words": CHECKIN_RESULT_WORDS,
            "field_words": RESIDENT_FIELD_WORDS}


def form_values(card: dict) -> dict:
    """The edit form filled in from the card (as the form names its fields)."""
    values = {"name": card["name"], "phones": " ".join(display.phone(p) for p in card["phones"]),
              "birth_date": card.get("birth_date") or "",
              "living_status": card.get("living_status") or "",
              "groups": card.get("groups") or [], "health_notes": card.get("health_notes") or "",
              "hobbies": card.get("hobbies") or "", "grid_unit_id": card.get("grid_unit_id") or "",
              "grid_worker": card.get("grid_worker") or "",
              "consent_notes": card.get("consent_notes") or "", "version": card["version"]}
    for level, _ in display.ADDRESS_LEVELS:
        values[f"address.{level}"] = (card.get("address") or {}).get(level) or ""
    for index, contact in enumerate(card.get("emergency_contacts") or []):
        for key in ("name", "relation", "phone"):
            values[f"contact.{index}.{key}"] = display.phone(contact[key]) if key == "phone" \
                else contact.get(key) or ""
    plan = card.get("checkin_plan") or {}
    values["checkin_days"] = [str(day) for day in plan.get("days") or []]
    values["checkin_times"] = " ".join(plan.get("times") or [])
    return values


class FormValues(dict):
    """A posted form as the resident form re-shows it (lists for the checkbox groups)."""

    def __init__(self, form):
        super().__init__(form.to_dict())
        self["groups"] = form.getlist("groups")
        self["checkin_days"] = form.getlist("checkin_days")


def resident_from(form) -> dict:
    """add_resident's / change_resident's resident from the form: every field, blank ones
    as none, so an edit clears what was cleared."""
    def given(name: str) -> str | None:
        return (form.get(name) or "").strip() or None

    contacts = []
    for index in range(CONTACT_ROWS):
        contact = {key: given(f"contact.{index}.{key}") for key in ("name", "relation", "phone")}
        if any(contact.values()):
            contacts.append(contact)
    days = [int(day) for day in form.getlist("checkin_days") if day.isdigit()]
    times = (form.get("checkin_times") or "").replace("，", " ").replace(",", " ").split()
    resident_ = {
        "name": form.get("name", "").strip(),
        "phones": (form.get("phones") or "").replace("，", " ").replace(",", " ").split(),
        "address": {level: given(f"address.{level}") for level, _ in display.ADDRESS_LEVELS},
        "birth_date": given("birth_date"), "living_status": given("living_status"),
        "groups": form.getlist("groups"),
        "hobbies": given("hobbies"), "emergency_contacts": contacts,
        "grid_worker": given("grid_worker"),
        "checkin_plan": {"days": days, "times": times} if days or times else None,
        "consent_notes": given("consent_notes"),
    }
    if "health_notes" in form:  # the form asks only the resident's grid for them
        resident_["health_notes"] = given("health_notes")
    resident_["address"]["district"] = form.get("address.district", "").strip()
    if signed_in()["role"] == "admin" or given("grid_unit_id"):
        resident_["grid_unit_id"] = given("grid_unit_id")
    return resident_


def field_errors(refused: InvalidRequest) -> dict:
    """The register's field errors keyed as the form's fields: address levels each, every
    other field (a phone among phones, a contact's phone) under its own name."""
    flat = display.flat_errors(refused.errors)
    shown: dict[str, list[str]] = {}
    for key, messages in flat.items():
        parts = key.removeprefix("changes.").split(".")
        name = ".".join(parts[:2]) if parts[0] == "address" else parts[0]
        shown.setdefault(name, []).extend(messages)
    return shown


def refused_form(action: str, refused: Exception) -> dict:
    if isinstance(refused, InvalidRequest):
        return {"action": action, "errors": field_errors(refused),
                "typed": FormValues(request.form), "message": "请检查填写的内容"}
    return {"action": action, "errors": {}, "typed": FormValues(request.form),
            "message": display.refusal(refused)}


@blueprint.route("/residents/<resident_id>", methods=["POST"])
@require(*KEEPERS)
def change_resident(resident_id: str):
    """Save the edit form, as of the version the editor read: a change made meanwhile by
    someone else is refused and shown, with what was typed kept."""
    version = request.form.get("version", "")
    try:
        call("register", "change_resident", resident_id, resident_from(request.form), actor(),
             int(version) if version.isdigit() else None)
    except REFUSALS as refused:
        failed = refused_form("edit", refused)
        if isinstance(refused, IllegalTransition) and "changed" in str(refused):
            failed["message"] = "保存未成功：此人员已被他人修改，请刷新页面查看最新内容后重新修改"
        return render_card(resident_id, failed=failed, status=errors.STATUS[type(refused)])
    flash("已保存修改", "ok")
    return redirect(url_for(".resident", resident_id=resident_id))


STEPS = {"retire": ("retire_resident", "已注销（记录保留）"),
         "pause": ("pause_checkins", "已暂停探访电话"),
         "resume": ("resume_checkins", "已恢复探访电话")}


@blueprint.route("/residents/<resident_id>/<step>", methods=["POST"])
@require(*KEEPERS)
def resident_step(resident_id: str, step: str):
    """Retire with a reason; pause check-ins (until a day, with a reason); resume them."""
    if step not in STEPS:
        abort(404)
    method, done = STEPS[step]
    reason = (request.form.get("reason") or "").strip() or None
    args: list[Any] = [resident_id, actor()]
    if step == "pause":
        args.append((request.form.get("until") or "").strip() or None)
    args.append(reason)
    try:
        call("register", method, *args)
    except REFUSALS as refused:
        return render_card(resident_id, failed=refused_form(step, refused),
                           status=errors.STATUS[type(refused)])
    flash(done, "ok")
    return redirect(url_for(".resident", resident_id=resident_id))


@blueprint.route("/register/new", methods=["GET", "POST"])
@require(*KEEPERS)
def new_resident():
    failed: dict = {}
    status = 200
    if request.method == "POST":
        try:
            card = call("register", "add_resident", resident_from(request.form), actor())
        except REFUSALS as refused:
            failed, status = refused_form("new", refused), errors.STATUS[type(refused)]
        else:
            flash(f"已登记 {card['name']}", "ok")
            return redirect(url_for(".resident", resident_id=card["resident_id"]))
    user = signed_in()
    values = failed.get("typed") or {"groups": [], "checkin_days": [],
                                     "grid_unit_id": user.get("unit_id") or "",
                                     "address.district": ""}
    return render_template("resident.html", r=None, failed=failed, values=values,
                           editing=True, register_words=words(),
                           units=handling_units() if user["role"] == "admin" else [],
                           **page_words()), status


# Import: a dry run, then the same file applied
@blueprint.route("/register/import", methods=["GET", "POST"])
@require(*KEEPERS)
def register_import():
    """Upload → the dry run's report, row by row; "apply" posts the same file back (in a
    hidden field of this CSRF-protected form) → the report of what was written."""
    if request.method == "GET":
        return render_template("register_import.html", report=None, message=None)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        filename, content = upload.filename, base64.b64encode(upload.read()).decode("ascii")
    else:
        filename = request.form.get("filename", "")
        content = request.form.get("content_base64", "")
    if not content:
        return render_template("register_import.html", report=None,
                               message="请选择要导入的 .xlsx 或 .csv 文件"), 422
    apply = request.form.get("apply") == "1"
    try:
        report = call("register", "import_register", content, filename, actor(), not apply)
    except (InvalidRequest, NotPermitted) as refused:
        message = "；".join(m for ms in display.flat_errors(refused.errors).values()
                           for m in ms) if isinstance(refused, InvalidRequest) \
            else display.refusal(refused)
        return render_template("register_import.html", report=None,
                               message=message), errors.STATUS[type(refused)]
    return render_template("register_import.html", report=report, message=None,
                           content_base64=content, filename=filename,
                           action_words=IMPORT_ACTION_WORDS)


# A grid worker's care page
@blueprint.route("/care")
@require(*KEEPERS)
def care():
    """This week's birthdays and the check-ins missed in the last week of the unit's
    residents (an admin picks the unit)."""
    unit_id = own_unit(request.args.get("unit_id"))
    if unit_id is None:
        units = handling_units()
        return render_template("care.html", unit_id="", units=units, birthdays=[],
                               missed=[], unit_name="")
    today = clock.local(clock.now()).date()
    monday = today - dt.timedelta(days=today.weekday())
    birthdays = call("register", "birthdays", unit_id, monday.isoformat(), 7, actor())
    return render_template(
        "care.html", unit_id=unit_id, unit_name=unit_name(unit_id), birthdays=birthdays,
        missed=missed_checkins(unit_id, clock.now() - dt.timedelta(days=MISSED_DAYS)),
        units=handling_units() if signed_in()["role"] == "admin" else [], today=today)


def missed_checkins(unit_id: str, since: dt.datetime) -> list[dict]:
    """The unit's residents' check-ins that nobody answered since ``since``, latest first."""
    missed = []
    for row in call("register", "find_residents", actor(), None, None, None, None, None,
                    unit_id):
        if not row.get("checkin_plan"):
            continue
        for checkin in call("callback", "checkins_for", row["resident_id"], actor(), 30):
            if checkin["result"] == "missed" and \
                    clock.parse_iso(checkin["due_at"]) >= since:
                missed.append({**checkin, "resident": row})
    return sorted(missed, key=lambda item: item["due_at"], reverse=True)
