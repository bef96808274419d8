"""The register (台账) in the console, against the services over RabbitMQ: a grid
worker adds, lists, reads, edits and exports their unit's residents, imports a committee's
spreadsheet through the dry run, sees this week's birthdays; another unit's staff is
refused the card; a caller in the register shows their card on the ticket page."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from integration_support import eventually
from test_console_pages import Person, dispatched, take_call
from werkzeug.http import parse_options_header

from services.shared import clock


@pytest.fixture(scope="module")
def people(console_app):
    return {key: Person(console_app, key) for key in ("grid", "admin", "kaichen", "agent")}


def fresh_phone() -> str:
    return f"137{uuid.uuid4().int % 10**8:08d}"


def turning_80_today() -> str:
    today = clock.local(clock.now()).date()
    return today.replace(year=today.year - 80, day=28 if (today.month, today.day) == (2, 29)
                         else today.day).isoformat()


def resident_form(**changes) -> dict:
    form = {"name": f"孙奶奶{uuid.uuid4().hex[:4]}", "phones": fresh_phone(),
            "birth_date": turning_80_today(), "living_status": "alone", "groups": "childless",
            "address.district": "杨浦区", "address.subdistrict": "殷行街道",
            "address.community": "开鲁新村", "address.estate": "开鲁新村",
            "address.building": "15号", "address.room": "502", "health_notes": "高血压",
            "hobbies": "听评弹", "contact.0.name": "孙建国", "contact.0.relation": "儿子",
            "contact.0.phone": "13900000077", "grid_worker": "李琳",
            "checkin_times": "", "consent_notes": "本人同意登记"}
    form.update(changes)
    return form


def add(person: Person, **changes) -> tuple[str, dict]:
    """A resident added through the form; their id (from the card's address) and the form."""
    form = resident_form(**changes)
    response = person.post("/register/new", form, follow=False)
    assert response.status_code == 302, response.get_data(as_text=True)
    resident_id = re.search(r"/residents/([^/?]+)$", response.headers["Location"]).group(1)
    return resident_id, form


@pytest.fixture(scope="module")
def sun(people):
    return add(people["grid"])


def test_the_grid_lists_its_residents_with_filters_and_links_to_each_card(people, sun):
    resident_id, form = sun
    page = people["grid"].get("/register")
    assert form["name"] in page and f"/residents/{resident_id}" in page and "独居" in page
    assert form["name"] not in people["grid"].get("/register?living_status=empty_nest")
    assert form["name"] in people["grid"].get("/register?min_age=79&group=childless")
    assert form["name"] not in people["grid"].get("/register?min_age=81")
    assert form["name"] not in people["kaichen"].get("/register")  # not their unit's
    assert form["name"] in people["admin"].get("/register?unit_id=yinhang-grid-1")


def test_the_card_shows_everything_to_its_unit_and_nothing_to_another_unit(people, sun):
    resident_id, form = sun
    page = people["grid"].get(f"/residents/{resident_id}")
    for said in (form["name"], "80 岁", "独居", "孤寡", "高血压", "听评弹", "孙建国",
                 "13900000077", form["phones"], "502", "李琳", "本人同意登记", "登记"):
        assert said in page, said
    refused = people["kaichen"].get(f"/residents/{resident_id}", status=403)
    assert form["name"] not in refused and "13900000077" not in refused
    people["agent"].get(f"/residents/{resident_id}", status=403)
    # every read is recorded by the ledger: the count goes up with each
    count = int(re.search(r"已被查看 (\d+) 次", page).group(1))
    again = people["grid"].get(f"/residents/{resident_id}")
    assert f"已被查看 {count + 1} 次" in again


def test_an_edit_is_saved_and_a_stale_one_is_refused_keeping_what_was_typed(people):
    grid = people["grid"]
    resident_id, form = add(grid)
    page = grid.get(f"/residents/{resident_id}")
    version = re.search(r'name="version" value="(\d+)"', page).group(1)

    saved = grid.post(f"/residents/{resident_id}",
                      {**form, "hobbies": "下象棋", "version": version}).get_data(as_text=True)
    assert "已保存修改" in saved and "下象棋" in saved
    assert "兴趣爱好: 听评弹 → 下象棋" in saved  # the history says who changed what

    stale = grid.post(f"/residents/{resident_id}",
                      {**form, "hobbies": "打太极", "version": version})
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "已被他人修改" in text and 'value="打太极"' in text

    bad = grid.post(f"/residents/{resident_id}",
                    {**form, "contact.0.phone": "12345", "version": str(int(version) + 1)})
    assert bad.status_code == 422
    assert "field-error" in bad.get_data(as_text=True)


def test_retiring_asks_for_a_reason_and_keeps_the_record(people):
    grid = people["grid"]
    resident_id, form = add(grid)
    assert grid.post(f"/residents/{resident_id}/retire", {"reason": ""}).status_code == 422
    page = grid.post(f"/residents/{resident_id}/retire",
                     {"reason": "搬离本社区"}).get_data(as_text=True)
    assert "已注销" in page and "搬离本社区" in page
    assert form["name"] not in grid.get("/register")
    assert form["name"] in grid.get("/register?include_retired=1")


def test_an_import_is_previewed_row_by_row_then_applied(people):
    grid = people["grid"]
    good, bad = f"钱老伯{uuid.uuid4().hex[:4]}", f"赵阿姨{uuid.uuid4().hex[:4]}"
    sheet = ("姓名,联系电话,区,街道,社区,小区,楼栋,室,出生日期,居住状态\n"
             f"{good},{fresh_phone()},杨浦区,殷行街道,开鲁新村,开鲁新村,3号,101,1945年5月,空巢\n"
             f"{bad},12345,杨浦区,殷行街道,开鲁新村,开鲁新村,3号,102,1946-06-01,独居\n"
             ",,,,,,,,,\n"
             "制表人：王芳,,,,日期：2024-03-05,,,,,\n")
    preview = grid.client.post("/register/import", data={
        "csrf_token": grid.token, "file": (io.BytesIO(sheet.encode("utf-8")), "居民台账.csv")},
        content_type="multipart/form-data")
    page = grid._page(preview)
    assert preview.status_code == 200
    assert "预览结果（尚未导入）" in page and "新增 <strong>1</strong>" in page
    bad_row = page[page.index(bad):page.index("</tr>", page.index(bad))]
    assert "不予导入" in bad_row and "联系电话" in bad_row
    assert "跳过 2 行" in page and "表尾，不是人员: 制表人：王芳  日期：2024-03-05" in page
    assert good not in grid.get("/register")  # a dry run writes nothing

    hidden = dict(re.findall(r'name="(filename|content_base64)" value="([^"]*)"', page))
    applied = grid.post("/register/import", {**hidden, "apply": "1"}).get_data(as_text=True)
    assert "导入结果" in applied and "新增 <strong>1</strong>" in applied
    listed = grid.get("/register")
    assert good in listed and bad not in listed and "制表人" not in listed
    resident_id = re.search(rf'/residents/([^"/?]+)">{good}<', listed).group(1)
    assert "1945-05（只知年月）" in grid.get(f"/residents/{resident_id}")


def test_export_and_the_template_download_as_excel(people, sun):
    for path in ("/register/export", "/register/template"):
        response = people["grid"].client.get(path)
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        assert response.data[:2] == b"PK" and ".xlsx" in response.headers["Content-Disposition"]



@pytest.mark.parametrize("unit_id, named", [
    ('x"; filename=evil.exe', "register_x_filename_evil.exe_"),
    ("殷行网格", "register_殷行网格_")])
def test_the_unit_id_an_admin_asks_for_cannot_break_the_download(people, unit_id, named):
    """The register names its file after the unit asked for: the name is made safe and set
    by werkzeug (filename*, RFC 6266, for Chinese), never a second file name or a 500."""
    response = people["admin"].client.get("/register/export", query_string={"unit_id": unit_id})
    assert response.status_code == 200 and response.data[:2] == b"PK"
    disposition = response.headers["Content-Disposition"]
    disposition.encode("ascii")  # what gunicorn can send
    kind, params = parse_options_header(disposition)
    assert kind == "attachment" and disposition.count("filename=") == 1
    assert params["filename"].startswith(named) and params["filename"].endswith(".xlsx")

def test_the_grid_worker_sees_this_weeks_birthdays(people, sun):
    resident_id, form = sun
    page = people["grid"].get("/care")
    birthdays = page[page.index("本周生日"):page.index("未接通的探访电话")]
    assert form["name"] in birthdays and "满 80 岁" in birthdays
    assert "关爱" in people["grid"].get("/register")


def test_a_caller_in_the_register_brings_their_card_to_the_ticket_page(people, sun):
    resident_id, form = sun
    number, _ = take_call(people["agent"], **{"caller.phone": form["phones"],
                                               "caller.name": form["name"]})
    page = eventually(lambda: (lambda page: page if "台账在册人员" in page else None)(
        dispatched(people["grid"], number)))
    card = page[page.index("台账在册人员"):page.index("</section>", page.index("台账在册人员"))]
    assert form["name"] in card and "80 岁" in card and "独居" in card
    assert "孙建国" in card and "13900000077" in card  # the holding unit sees it in full
    assert f"/residents/{resident_id}" in card
    # health notes come from the register (get_resident), to those who may read the card:
    # the ticket carries none, and an agent, who may not read the card, sees none
    assert "健康状况" in card and "高血压" in card
    agents_page = people["agent"].get(f"/tickets/{number}")
    assert "台账在册人员" in agents_page and "高血压" not in agents_page
