"""The admin's pages: the accounts of the people who use the console (create, change role
or unit, reset a password, deactivate: the last three end the account's sessions) and the
API tokens of the programs that call on their behalf (issued with a lifetime in days and
perhaps read-only, shown once, revoked). Routes of the pages blueprint; the accounts
service keeps the accounts."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from services.console import display, errors
from services.console.auth import actor, require
from services.console.pages import REFUSALS, blueprint, call, directory, refused_step
from services.shared.schemas import ACCOUNT_ROLES


@blueprint.route("/admin/users")
@require("admin")
def users():
    return render_users()


def render_users(failed: dict | None = None, issued: dict | None = None, status: int = 200):
    """The accounts page; ``failed`` re-shows a refused form with what was typed, ``issued``
    a token just issued (shown this once: it is in no cookie and no log)."""
    return render_template("users.html", users=call("accounts", "list_users", actor()),
                           units=directory()["units"],
                           roles=[(role, display.ROLE_WORDS[role]) for role in ACCOUNT_ROLES],
                           failed=failed or {},
                           issued=issued), status


def refused(form_name: str, error) -> tuple:
    failed = refused_step(form_name, error)
    # update_user names its fields under "changes"
    failed["errors"] = {key.removeprefix("changes."): messages
                        for key, messages in failed["errors"].items()}
    return render_users(failed=failed, status=errors.STATUS[type(error)])


@blueprint.route("/admin/users", methods=["POST"])
@require("admin")
def create_user():
    form = request.form
    user = {"username": form.get("username", "").strip(), "name": form.get("name", "").strip(),
            "role": form.get("role", ""), "unit_id": form.get("unit_id") or None,
            "district": form.get("district", "").strip() or None,
            # none for a program's account, which signs in with a token only
            "password": form.get("password") or None}
    try:
        created = call("accounts", "create_user", user, actor())
    except REFUSALS as error:
        return refused("create", error)
    flash(f"已创建用户 {created['username']}（{created['name']}）", "ok")
    return redirect(url_for(".users"))


@blueprint.route("/admin/users/<username>", methods=["POST"])
@require("admin")
def update_user(username: str):
    """Change role and unit (and name, or set a new password); or, with ``active``,
    deactivate or reactivate the account."""
    form = request.form
    changes: dict[str, Any]
    if "active" in form:
        changes = {"active": form["active"] == "1"}
    else:
        changes = {"role": form.get("role", ""), "unit_id": form.get("unit_id") or None,
                   "district": form.get("district", "").strip() or None}
        if form.get("name", "").strip():
            changes["name"] = form["name"].strip()
        if form.get("password"):
            changes["password"] = form["password"]
    try:
        call("accounts", "update_user", username, changes, actor())
    except REFUSALS as error:
        return refused(f"user:{username}", error)
    active = changes.get("active")
    said = "已保存" if active is None else "已启用" if active else "已停用"
    flash(f"{said}用户 {username}", "ok")
    return redirect(url_for(".users"))


@blueprint.route("/admin/users/<username>/tokens", methods=["POST"])
@require("admin")
def issue_token(username: str):
    """A token living the days asked (default 90), read-only if ticked."""
    days_typed = request.form.get("days", "").strip()
    days: Any = int(days_typed) if days_typed.isdigit() else (days_typed or 90)
    try:
        token = call("accounts", "issue_token", username, request.form.get("name", "").strip(),
                     actor(), days, request.form.get("read_only") == "1")
    except REFUSALS as error:
        return refused(f"token:{username}", error)
    return render_users(issued={**token, "username": username})


@blueprint.route("/admin/users/<username>/tokens/<token_id>/revoke", methods=["POST"])
@require("admin")
def revoke_token(username: str, token_id: str):
    try:
        call("accounts", "revoke_token", username, token_id, actor())
    except REFUSALS as error:
        return refused(f"user:{username}", error)
    flash(f"已吊销 {username} 的令牌 {token_id}", "ok")
    return redirect(url_for(".users"))



@blueprint.route("/admin/users/<username>/sessions/end", methods=["POST"])
@require("admin")
def end_sessions(username: str):
    """Sign the user out everywhere: every console session of theirs ends now."""
    try:
        ended = call("accounts", "end_sessions", username, actor())
    except REFUSALS as error:
        return refused(f"user:{username}", error)
    flash(f"已结束 {username} 的 {len(ended['session_ids'])} 个登录会话", "ok")
    return redirect(url_for(".users"))
