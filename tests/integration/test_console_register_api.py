"""The register's JSON API routes (台账), over the running services: a resident added,
read, changed as of a version, paused, retired; the list, birthdays, the workbooks and an
import; who may use them; bad input."""
from __future__ import annotations

import datetime as dt
import io
import uuid

from integration_support import eventually
from openpyxl import load_workbook

# a token per user of conftest.CONSOLE_USERS and api(method, path, who, ...), as there
from test_console_api import api, client, tokens  # noqa: F401 - pytest fixtures

from services.shared import clock

GRID = "yinhang-grid-1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def resident(**changes) -> dict:
    """An old man living alone in 国和小区, of the grid workstation's register."""
    return {"name": f"张{uuid.uuid4().hex[:6]}", "phones": ["138 1234 5678"],
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                        "estate": "国和小区", "building": "5号", "room": uuid.uuid4().hex[:4]},
            "birth_date": "1940-03-05", "living_status": "alone", "groups": ["retired_cadre"],
            "health_notes": "高血压", "grid_unit_id": GRID, **changes}


def added(api, who: str = "grid", **changes) -> dict:
    answer = api("post", "/api/register", who, json=resident(**changes))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_every_register_route_is_described(console_app):
    spec = console_app.test_client().get("/api/openapi.json").get_json()
    for path in ("/api/register", "/api/register/birthdays", "/api/register/template",
                 "/api/register/import", "/api/register/export", "/api/residents/{resident_id}",
                 "/api/residents/{resident_id}/retire",
                 "/api/residents/{resident_id}/checkins/pause",
                 "/api/residents/{resident_id}/checkins/resume",
                 "/api/residents/{resident_id}/tickets", "/api/residents/{resident_id}/checkins"):
        assert path in spec["paths"], path
    assert "multipart/form-data" in \
        spec["paths"]["/api/register/import"]["post"]["requestBody"]["content"]
    assert {"ResidentBody", "ResidentRecord", "ImportReport"} <= set(spec["components"]["schemas"])


def test_a_resident_is_added_read_and_changed_as_of_a_version(api):
    card = added(api)
    assert card["phones"] == ["+8613812345678"] and card["grid_unit_id"] == GRID
    assert card["age"] >= 80 and card["version"] == 1

    read = api("get", f"/api/residents/{card['resident_id']}", "grid").get_json()
    assert read["health_notes"] == "高血压" and read["views"][0]["actor"]["id"]

    changed = api("patch", f"/api/residents/{card['resident_id']}", "grid",
                  json={"hobbies": "下象棋", "version": 1})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["hobbies"] == "下象棋" and changed.get_json()["version"] == 2
    assert changed.get_json()["health_notes"] == "高血压"  # fields not sent are kept

    stale = api("patch", f"/api/residents/{card['resident_id']}", "grid",
                json={"hobbies": "唱歌", "version": 1})
    assert stale.status_code == 409
    without = api("patch", f"/api/residents/{card['resident_id']}", "grid",
                  json={"hobbies": "唱歌"})
    assert without.status_code == 422 and "version" in without.get_json()["errors"]


def test_the_same_person_twice_is_409(api):
    card = added(api)
    again = api("post", "/api/register", "grid",
                json=resident(name=card["name"], address=card["address"]))
    assert again.status_code == 409 and card["resident_id"] in again.get_json()["message"]


def test_checkins_are_paused_resumed_and_listed_and_a_resident_retired(api):
    card = added(api, checkin_plan={"days": [1, 2, 3, 4, 5, 6, 7], "times": ["09:30"]})
    number = card["resident_id"]
    until = (clock.local(clock.now()).date() + dt.timedelta(days=10)).isoformat()
    paused = api("post", f"/api/residents/{number}/checkins/pause", "grid",
                 json={"until": until, "reason": "住院"})
    assert paused.status_code == 200, paused.get_json()
    assert paused.get_json()["checkin_status"] == "paused"
    assert api("post", f"/api/residents/{number}/checkins/pause", "grid",
               json={"reason": "又住院"}).status_code == 409
    resumed = api("post", f"/api/residents/{number}/checkins/resume", "grid")
    assert resumed.status_code == 200 and resumed.get_json()["checkin_status"] == "active"

    checkins = eventually(lambda: api("get", f"/api/residents/{number}/checkins",
                                      "grid").get_json() or None)
    assert checkins[0]["phone"] == "+8613812345678" and "result" in checkins[0]
    assert api("get", f"/api/residents/{number}/tickets", "grid").get_json() == []

    retired = api("post", f"/api/residents/{number}/retire", "grid", json={"reason": "已搬离"})
    assert retired.status_code == 200 and retired.get_json()["retired"] is True
    assert api("post", f"/api/residents/{number}/retire", "grid",
               json={"reason": "再次"}).status_code == 409
    listed = api("get", "/api/register", "grid").get_json()
    assert number not in {row["resident_id"] for row in listed}
    everyone = api("get", "/api/register?include_retired=true", "grid").get_json()
    assert number in {row["resident_id"] for row in everyone}


def test_a_birth_known_only_to_the_month_or_year_is_kept_as_such(api, console_app):
    month, year = added(api, birth_date="1940-03"), added(api, birth_date="1940")
    assert (month["birth_date"], month["birthday"]) == ("1940-03", None)
    assert (year["birth_date"], year["birthday"]) == ("1940", None)
    assert month["age"] == year["age"] + (0 if clock.local(clock.now()).month >= 3 else -1)
    spec = console_app.test_client().get("/api/openapi.json").get_json()
    described = spec["components"]["schemas"]["ResidentBody"]["properties"]["birth_date"]
    assert "YYYY-MM" in described["description"] and described["pattern"]


def test_the_list_filters_and_birthdays(api):
    today = clock.local(clock.now()).date()
    old = added(api, birth_date=today.replace(year=1935).isoformat() if not
                (today.month == 2 and today.day == 29) else "1935-03-01")
    young = added(api, birth_date="1990-01-01", living_status="with_family", groups=[])
    rows = api("get", "/api/register?min_age=80&living_status=alone", "admin").get_json()
    found = {row["resident_id"] for row in rows}
    assert old["resident_id"] in found and young["resident_id"] not in found
    assert "health_notes" not in rows[0]  # on the card only, whose reads are recorded

    birthdays = api("get", f"/api/register/birthdays?start={today.isoformat()}&days=1",
                    "grid")
    assert birthdays.status_code == 200, birthdays.get_json()
    if not (today.month == 2 and today.day == 29):
        mine = [row for row in birthdays.get_json() if row["resident_id"] == old["resident_id"]]
        assert mine and mine[0]["turns"] == today.year - 1935
    assert api("get", "/api/register/birthdays", "admin").status_code == 422  # which unit?


def test_who_may_use_the_register(api):
    card = added(api)
    # an agent looks a caller up by phone, no more (the README's "Who may see what")
    assert api("get", "/api/register", "agent").status_code == 403
    assert api("get", f"/api/residents/{card['resident_id']}", "agent").status_code == 403
    assert api("get", "/api/register?phone=13812345678", "agent").status_code == 200
    # the centre reads the register (it sends welfare checks to the grid)
    assert api("get", f"/api/residents/{card['resident_id']}", "dispatcher").status_code == 200
    # another unit's staff: neither the card nor its check-ins (their phones in full)
    assert api("get", f"/api/residents/{card['resident_id']}", "kaichen").status_code == 403
    assert api("get", f"/api/residents/{card['resident_id']}/checkins",
               "kaichen").status_code == 403
    theirs = api("get", "/api/register", "kaichen").get_json()
    assert card["resident_id"] not in {row["resident_id"] for row in theirs}
    assert api("get", f"/api/register?grid_unit_id={GRID}", "kaichen").status_code == 403
    assert api("get", f"/api/register/export?grid_unit_id={GRID}", "kaichen").status_code == 403
    assert api("get", "/api/residents/R-nobody", "admin").status_code == 404


def test_bad_input_names_each_field(api):
    answer = api("post", "/api/register", "grid",
                 json=resident(living_status="lonely", birth_date="1940/03/05"))
    assert answer.status_code == 422
    assert {"living_status", "birth_date"} <= set(answer.get_json()["errors"])
    future = api("post", "/api/register", "grid", json=resident(birth_date="3000-01-01"))
    assert future.status_code == 422 and "birth_date" in future.get_json()["errors"]
    unknown = api("post", "/api/register", "grid", json=resident(nickname="老张"))
    assert unknown.status_code == 422 and "nickname" in unknown.get_json()["errors"]
    assert api("get", "/api/register?min_age=abc", "grid").status_code == 422


def test_template_export_and_an_import_dry_run_then_applied(api):
    template = api("get", "/api/register/template", "grid")
    assert template.status_code == 200 and template.mimetype == XLSX
    header = [cell.value for cell in load_workbook(io.BytesIO(template.data)).active[1]]
    assert "姓名" in header

    sheet = load_workbook(io.BytesIO(template.data))
    rows = sheet.active
    name = f"王{uuid.uuid4().hex[:6]}"
    columns = {cell.value: cell.column for cell in rows[1] if cell.value}
    row = rows.max_row + 1
    for column, value in {"姓名": name, "联系电话": "13911112222", "区": "杨浦区",
                          "街道": "殷行街道", "居住状态": "独居"}.items():
        rows.cell(row=row, column=columns[column], value=value)
    upload = io.BytesIO()
    sheet.save(upload)

    def imported(dry_run: str):
        answer = api("post", "/api/register/import", "grid", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(upload.getvalue()), "register.xlsx"),
                           "dry_run": dry_run})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    preview = imported("true")
    assert preview["dry_run"] is True and preview["counts"]["add"] == 1
    assert not api("get", "/api/register?phone=13911112222", "grid").get_json()
    applied = imported("false")
    assert applied["counts"]["add"] == 1 and applied["batch_id"]
    assert [row["name"] for row in api("get", "/api/register?phone=13911112222",
                                       "grid").get_json()] == [name]
    assert imported("false")["counts"]["unchanged"] == 1

    export = api("get", "/api/register/export", "grid")
    assert export.status_code == 200 and export.mimetype == XLSX
    names = {cell.value for cell in load_workbook(io.BytesIO(export.data)).active["A"]}
    assert name in names

    missing = api("post", "/api/register/import", "grid", content_type="multipart/form-data",
                  data={"dry_run": "true"})
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    garbage = api("post", "/api/register/import", "grid", content_type="multipart/form-data",
                  data={"file": (io.BytesIO(b"not a sheet"), "register.xlsx")})
    assert garbage.status_code == 422
