"""Finding tickets (搜索工单) and lists of all tickets (工单列表): one page, /search, that
lists every ticket the reader may see, open and closed, newest received first, narrowed by
the form (number, caller's phone or name, words of the description, place, category, unit,
state, days received), sorted and paged, with the number found; the same list as CSV or
Excel; and the earlier tickets of a caller's phone, which the new-ticket page shows while
the agent takes the call. The ledger finds them (ledger.search) within what the reader may
see. Routes of the pages blueprint."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for

from services.console import display
from services.console.auth import actor, require, signed_in
from services.console.downloads import table_download
from services.console.pages import TICKET_TAKERS, blueprint, call, handling_units
from services.shared import clock
from services.shared.errors import InvalidRequest
from services.shared.rpc_client import ServicesUnavailable
from services.shared.schemas import CATEGORIES, CENTRE_ROLES

PAGE_SIZE = 20
LAST_PAGE = 10_000 // PAGE_SIZE + 1  # the ledger pages 10,000 tickets in at most
LEDGER_PAGE = 200  # the most the ledger gives at once (SearchSchema)
EXPORT_MAX = 5000  # rows of one export
CALLER_HISTORY = 10  # a caller's earlier tickets shown while taking the call
TEXT_FIELDS = ("no", "phone", "name", "words", "place")
VIEW_FIELDS = (*TEXT_FIELDS, "category", "state", "unit", "first", "last", "sort")
EXPORT_COLUMNS = (("ticket_no", "工单号"), ("received_at", "受理时间"), ("category", "类别"),
                  ("state", "状态"), ("unit_name", "承办单位"), ("place", "地点"),
                  ("caller_name", "来电人"), ("caller_phone", "来电电话"),
                  ("description", "诉求内容"), ("summary", "最新进展"),
                  ("closed_at", "办结时间"))


def chosen(args) -> tuple[dict, dict[str, list[str]]]:
    """The ledger's search (SearchSchema) the form asks for, without paging, and the field
    errors of what cannot be read. Days are Shanghai days, the last one included."""
    problems: dict[str, list[str]] = {}
    query: dict[str, Any] = {}
    for field, key in (("no", "ticket_no"), ("phone", "phone"), ("name", "name"),
                       ("words", "words"), ("place", "place")):
        value = (args.get(field) or "").strip()
        if value:
            query[key] = value
    if query.get("phone") and not any(ch.isdigit() for ch in query["phone"]):
        problems["phone"] = ["请填写电话号码的数字"]
    category = args.get("category") or ""
    if category:
        if category in CATEGORIES:
            query["categories"] = [category]
        else:
            problems["category"] = ["请从列表中选择"]
    state = args.get("state") or ""
    if state == "open":
        query["states"] = list(display.OPEN_STATES)
    elif state:
        if state in display.SEARCH_STATE_WORDS:
            query["states"] = [state]
        else:
            problems["state"] = ["请从列表中选择"]
    if args.get("unit"):
        query["unit_ids"] = [args["unit"]]
    first = _day(args.get("first"), "first", problems)
    last = _day(args.get("last"), "last", problems)
    if first and last and last < first:
        problems["last"] = ["结束日期不能早于开始日期"]
    if first:
        query["start"] = _start_of(first)
    if last:
        query["end"] = _start_of(last + dt.timedelta(days=1))
    sort = args.get("sort") or "newest"
    query["sort"] = sort if sort in display.SORT_WORDS else "newest"
    return query, problems


def _day(text: str | None, field: str, problems: dict) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        problems[field] = ["请写作 2026-11-23"]
        return None


def _start_of(day: dt.date) -> str:
    """00:00 of a Shanghai day, in UTC ISO text."""
    return clock.iso(dt.datetime.combine(day, dt.time(0), tzinfo=clock.local(
        clock.now()).tzinfo))


def page_number(args) -> int:
    try:
        return max(1, min(int(args.get("page") or 1), LAST_PAGE))
    except ValueError:
        return 1


def found(query: dict, offset: int, limit: int) -> dict:
    """The ledger's answer to the search, or InvalidRequest's field errors as the form
    shows them (raised as they are)."""
    return call("ledger", "search", actor(), {**query, "offset": offset, "limit": limit})


@blueprint.route("/search")
@require()
def search():
    """Every ticket the reader may see, open and closed, narrowed, sorted and paged."""
    query, problems = chosen(request.args)
    page = page_number(request.args)
    answer: dict = {"total": 0, "total_exact": True, "tickets": []}
    if not problems:
        try:
            answer = found(query, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        except InvalidRequest as refused:
            problems = display.flat_errors(refused.errors)
    pages = max(1, -(-answer["total"] // PAGE_SIZE))
    more = not answer["total_exact"]  # more than were counted: the next page while full
    last = page >= pages and not (more and len(answer["tickets"]) == PAGE_SIZE)
    args: dict[str, Any] = {key: value for key, value in request.args.items()
                            if key != "page" and value}
    return render_template(
        "search.html", answer=answer, errors=problems, values=request.args, page=page,
        pages=pages if not more else None, args=args, units=_units(),
        views=_views(),
        asked=any(request.args.get(field) for field in TEXT_FIELDS),
        previous=url_for(".search", **args, page=page - 1) if page > 1 else None,
        next=url_for(".search", **args, page=page + 1) if not last else None)


def _views() -> list[dict] | None:
    """The reader's saved views, each with its address; None when accounts does not
    answer (the list still shows)."""
    try:
        views = call("accounts", "views", actor())
    except ServicesUnavailable:
        return None
    return [{**view, "href": url_for(".search", **view["filters"])} for view in views]


@blueprint.route("/search/views", methods=["POST"])
@require()
def save_view():
    """Keep the conditions on the page as a view of one's own (accounts.save_view)."""
    filters: dict[str, Any] = {field: request.form[field].strip() for field in VIEW_FIELDS
                               if (request.form.get(field) or "").strip()}
    name = (request.form.get("view_name") or "").strip()
    try:
        call("accounts", "save_view", actor(), name, filters)
    except InvalidRequest as refused:
        flash("视图未保存：" + "；".join(
            message for messages in display.flat_errors(refused.errors).values()
            for message in messages), "error")
    else:
        flash(f"已保存视图“{name}”", "ok")
    return redirect(url_for(".search", **filters))


@blueprint.route("/search/views/<view_id>/delete", methods=["POST"])
@require()
def delete_view(view_id: str):
    """Delete one of one's own views (accounts.delete_view)."""
    call("accounts", "delete_view", actor(), view_id)
    flash("已删除视图", "ok")
    return redirect(url_for(".search"))


def _units() -> list[dict]:
    """The units the form offers: every handling unit for the centre; none for others
    (unit staff see their own unit's tickets, agents the district's)."""
    return handling_units() if signed_in()["role"] in CENTRE_ROLES else []


def export_rows() -> list[dict]:
    """Every ticket of the list the form asks for, as exported: at most EXPORT_MAX, and
    then a last row that says the list goes on (a file that stopped short without a word
    would pass for the whole list)."""
    query, problems = chosen(request.args)
    if problems:
        raise InvalidRequest(problems)
    rows: list[dict] = []
    while (asked := min(LEDGER_PAGE, EXPORT_MAX - len(rows))) > 0:
        answer = found(query, len(rows), asked)
        rows += [exported(ticket) for ticket in answer["tickets"]]
        if len(answer["tickets"]) < asked:
            return rows
    if found(query, EXPORT_MAX, 1)["tickets"]:
        rows.append({key: "" for key, _ in EXPORT_COLUMNS}
                    | {"ticket_no": f"只导出了前 {EXPORT_MAX} 件；还有更多，请缩小查询条件再导出"})
    return rows


def exported(ticket: dict) -> dict:
    """A found ticket as a row of the export, in words."""
    caller = ticket.get("caller") or {}
    return {"ticket_no": ticket["ticket_no"],
            "received_at": display.local_time(ticket.get("received_at")),
            "category": display.word(display.CATEGORY_WORDS, ticket.get("category")),
            "state": display.word(display.STATE_WORDS, ticket.get("state")),
            "unit_name": ticket.get("unit_name") or "", "place": display.place(ticket.get("place")),
            "caller_name": caller.get("name") or "",
            "caller_phone": display.phone(caller.get("phone")),
            "description": ticket.get("description") or "",
            "summary": ticket.get("summary") or "",
            "closed_at": display.local_time(ticket.get("closed_at"))}


@blueprint.route("/search/export.csv")
@require()
def search_csv():
    """The list as CSV (UTF-8 with a BOM, for Excel), formula-safe (downloads.py)."""
    return table_download(EXPORT_COLUMNS, export_rows(), "csv", "工单列表")


@blueprint.route("/search/export.xlsx")
@require()
def search_xlsx():
    """The list as an Excel workbook, formula-safe (downloads.py)."""
    return table_download(EXPORT_COLUMNS, export_rows(), "xlsx", "工单列表")


@blueprint.route("/search/callers")
@require(*TICKET_TAKERS)
def caller_history():
    """The earlier tickets of the phone being typed on the new-ticket page, newest first
    (JSON for its script): {total, tickets: [{ticket_no, href, received, category, state,
    summary}]}, all in words. A phone too short to be one gives nothing."""
    phone = (request.args.get("phone") or "").strip()
    if sum(ch.isdigit() for ch in phone) < 7:
        return jsonify({"total": 0, "tickets": []})
    try:
        answer = found({"phone": phone, "sort": "newest"}, 0, CALLER_HISTORY)
    except InvalidRequest:
        return jsonify({"total": 0, "tickets": []})
    return jsonify({"total": answer["total"], "tickets": [{
        "ticket_no": ticket["ticket_no"],
        "href": url_for(".ticket", ticket_no=ticket["ticket_no"]),
        "received": display.local_time(ticket.get("received_at")),
        "category": display.word(display.CATEGORY_WORDS, ticket.get("category")),
        "state": display.word(display.STATE_WORDS, ticket.get("state")),
        "summary": ticket.get("summary") or "",
        "description": (ticket.get("description") or "")[:60],
    } for ticket in answer["tickets"]]})
