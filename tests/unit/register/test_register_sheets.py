"""Excel in, Excel out: a committee's spreadsheet imported through a dry run with the
reasons for each refused row, applied in one go, imported again to no effect; the
register exported and imported back unchanged; CSV; the template; the command line."""
import base64
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook
from test_register_residents import ADMIN, GRID, KAILU_12_302, PROPERTY, register_events, zhang

from services.register import cli as register_cli
from services.register.sheets import parse_date, parse_plan, plan_text
from services.shared.errors import InvalidRequest, NotPermitted

TEMPLATE_HEADERS = ["姓名", "联系电话", "区", "街道", "社区", "小区", "楼栋", "室", "出生日期",
                    "居住状态", "人员类别", "健康状况", "兴趣爱好", "紧急联系人", "联系人关系",
                    "联系人电话", "网格", "网格员", "探访计划", "备注/同意情况", "台账编号"]
# As a committee writes it: a numbering column, a phone column named 电话, no 网格 column,
# and a 备注 column of its own (not the template's 备注/同意情况: not read).
HEADER = ["序号", "姓名", "电话", "区", "街道", "社区", "小区", "楼栋", "室", "出生日期",
          "居住状态", "人员类别", "健康状况", "紧急联系人", "联系人关系", "联系人电话",
          "探访计划", "备注"]
PLACE = ["杨浦区", "殷行街道", "开鲁新村", "开鲁新村"]


def committee_rows() -> list[list]:
    """Rows 3…12 of the committee's sheet (a title on row 1, the header on row 2)."""
    return [
        [1, "孤老张老伯", 13800000001, *PLACE, "12号", 302, dt.datetime(1941, 11, 26), "独居",
         "孤寡、低保", "高血压", "张小明", "侄子", "13900000001", "每天 10:00、15:00", "本人同意"],
        [2, "吴大娘", "13800000009/021-65432100", *PLACE, "15号", "101", "1938年3月5日", "独居",
         "失能", None, "吴建国、吴建华", "儿子、女儿", "13900000002、13900000003",
         "周一至周五 9点半", None],
        [3, "钱阿姨", "1380000", *PLACE, "12号", "401", "1960/7/1", "与家人同住", None, None,
         None, None, None, None, None],                                  # bad phone
        [4, "孙老师", "13800000012", *PLACE, "12号", "502", "1950-01-02", "独住", "离退休老干部",
         None, None, None, None, None, None],                            # unknown status
        [5, "周奶奶", "13800000013", *PLACE, "15号", "202", "九三年", "空巢", None, None, None,
         None, None, None, None],                                        # unreadable date
        [6, None, "13800000014", *PLACE, "15号", "303", "1945-05-05", "独居", None, None, None,
         None, None, None, None],                                        # no name
        [7, "孤老张老伯", "13800000001", *PLACE, "12号", "302", "1941-11-26", "独居", "孤寡",
         None, None, None, None, None, None],                            # row 3 again
        [None] * len(HEADER),                                            # a blank line
        [8, "郑大爷", "13800000015", *PLACE, "15号", "404", 14611, "空巢", "退役军人、百岁",
         None, None, None, None, None, None],                            # unknown group
        [9, "王阿婆", "13800000016", *PLACE, "15号", "505", "1936.8.8", "空巢", "退役军人", None,
         "王强", "儿子", None, "随时", None],                            # no contact phone, plan
    ]


def workbook_bytes(header: list, rows: list[list],
                   title: str | None = "开鲁新村独居老人台账") -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def encoded(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def committee_sheet() -> str:
    return encoded(workbook_bytes(HEADER, committee_rows()))


def by_row(report: dict) -> dict[int, dict]:
    return {row["row"]: row for row in report["rows"]}


def test_a_dry_run_says_what_each_row_would_do_and_why(service, store):
    report = service.import_register(committee_sheet(), "开鲁新村台账.xlsx", GRID)

    rows = by_row(report)
    assert {number: row["action"] for number, row in rows.items()} == {
        3: "add", 4: "add", 5: "refused", 6: "refused", 7: "refused", 8: "refused",
        9: "refused", 10: "skipped", 11: "refused", 12: "refused"}
    assert rows[5]["reasons"] == ["联系电话无法识别: 1380000"]
    assert rows[6]["reasons"][0].startswith("居住状态无法识别: 独住")
    assert rows[7]["reasons"][0].startswith("出生日期无法识别: 九三年")
    assert rows[8]["reasons"] == ["缺少姓名"]
    assert rows[9]["reasons"] == ["与第3行重复 (同一人只填一行)"]
    assert rows[11]["reasons"][0].startswith("人员类别无法识别: 百岁")
    assert "紧急联系人(1位)与联系人电话(0个)个数不一致" in rows[12]["reasons"]
    assert any(reason.startswith("探访计划无法识别: 随时") for reason in rows[12]["reasons"])
    assert rows[10]["reasons"] == ["空行"]
    assert report["counts"] == {"add": 2, "change": 0, "unchanged": 0, "refused": 7,
                                "skipped": 1}
    assert report["ignored_columns"] == ["备注"] and "电话" in report["columns"]
    assert (report["dry_run"], report["batch_id"]) == (True, None)
    assert store.residents.count_documents({}) == 0  # a dry run writes nothing
    assert register_events(service) == []


def test_applying_adds_the_valid_rows_in_one_batch_and_again_changes_nothing(service):
    applied = service.import_register(committee_sheet(), "开鲁新村台账.xlsx", GRID, dry_run=False)

    assert applied["counts"]["add"] == 2 and applied["batch_id"]
    [wu] = service.find_residents(GRID, phone="13800000009")
    card = service.get_resident(wu["resident_id"], GRID)
    assert card["phones"] == ["+8613800000009", "+862165432100"]
    assert card["birth_date"] == "1938-03-05" and card["groups"] == ["disabled"]
    assert card["address"] == {**KAILU_12_302, "building": "15号", "room": "101", "detail": None}
    assert [(contact["name"], contact["relation"], contact["phone"])
            for contact in card["emergency_contacts"]] == [
        ("吴建国", "儿子", "+8613900000002"), ("吴建华", "女儿", "+8613900000003")]
    assert card["checkin_plan"]["days"] == [1, 2, 3, 4, 5]
    assert card["checkin_plan"]["times"] == ["09:30"]
    assert card["grid_unit_id"] == "yinhang-grid-1"  # the importing unit's own register
    assert card["history"][0]["batch_id"] == applied["batch_id"]
    [zhang_row] = service.find_residents(GRID, phone="13800000001")
    assert zhang_row["birth_date"] == "1941-11-26"  # an Excel date cell
    assert len(register_events(service)) == 2

    again = service.import_register(committee_sheet(), "开鲁新村台账.xlsx", GRID, dry_run=False)

    assert again["counts"] == {"add": 0, "change": 0, "unchanged": 2, "refused": 7,
                               "skipped": 1}
    assert len(register_events(service)) == 2
    assert service.get_resident(wu["resident_id"], GRID)["version"] == 1


def test_a_row_that_differs_is_a_change_of_the_same_resident(service):
    service.import_register(committee_sheet(), "台账.xlsx", GRID, dry_run=False)
    [zhang_row] = service.find_residents(GRID, phone="13800000001")
    service.change_resident(zhang_row["resident_id"], {"hobbies": "听评弹"}, GRID, version=1)
    rows = committee_rows()
    rows[0][2] = "13700000007"   # 张老伯 has a new phone: still known by name and room
    rows[0][10] = "空巢"
    rows[1][13] = "吴建国"        # 吴大娘: one contact left
    rows[1][14] = "儿子"
    rows[1][15] = "13900000002"

    report = service.import_register(encoded(workbook_bytes(HEADER, rows)), "台账.xlsx", GRID,
                                     dry_run=False)

    changed = by_row(report)
    assert changed[3]["action"] == "change"
    assert set(changed[3]["changed_columns"]) == {"联系电话", "居住状态"}
    assert changed[3]["changes"]["phones"] == {"from": ["+8613800000001"],
                                               "to": ["+8613700000007"]}
    assert changed[4]["changed_columns"] == ["紧急联系人"]
    card = service.get_resident(changed[3]["resident_id"], GRID)
    assert card["resident_id"] == zhang_row["resident_id"]
    assert card["living_status"] == "empty_nest" and card["version"] == 3
    assert card["history"][-1]["batch_id"] == report["batch_id"]
    assert card["hobbies"] == "听评弹"  # the sheet has no 兴趣爱好 column: left as it was
    assert len(service.find_residents(GRID)) == 2


def test_a_unit_imports_only_its_own_residents(service):
    service.add_resident(zhang(), GRID)
    header = ["姓名", "联系电话", "区", "网格"]
    rows = [["孤老张老伯", "13800000001", "杨浦区", None],          # theirs: yinhang-grid-1
            ["李阿婆", "13800000020", "杨浦区", "kaichen-property"],  # not theirs
            ["赵老伯", "13800000021", "杨浦区", None]]                # new: theirs

    report = service.import_register(encoded(workbook_bytes(header, rows, title=None)),
                                     "台账.xlsx", PROPERTY)

    rows = by_row(report)
    assert rows[2]["action"] == "refused" and "不属于本单位" in rows[2]["reasons"][0]
    assert rows[3]["action"] == "add"   # their own unit
    assert rows[4]["action"] == "add"
    with pytest.raises(NotPermitted):
        service.import_register(committee_sheet(), "台账.xlsx",
                                {**ADMIN, "id": "chen", "role": "supervisor"})


def test_the_register_exported_and_imported_back_is_unchanged(service):
    first = service.add_resident(zhang(phones=["13800000001", "010-12345678"],
                                       emergency_contacts=[
                                           {"name": "张小明", "relation": "侄子",
                                            "phone": "13900000001"},
                                           {"name": "王医生", "relation": None,
                                            "phone": "021-65432100"}],
                                       checkin_plan={"days": [1, 3, 5, 6], "times": ["09:30"]}),
                                 ADMIN)
    service.add_resident(zhang(name="吴大娘", phones=[], birth_date=None, groups=[],
                               living_status=None, health_notes=None, hobbies=None,
                               emergency_contacts=[], checkin_plan=None, grid_worker=None,
                               consent_notes=None,
                               address={**KAILU_12_302, "building": "15号", "room": "101"}),
                         ADMIN)
    events_before = len(register_events(service))

    exported = service.export_register(GRID)
    report = service.import_register(exported["content_base64"], exported["filename"], ADMIN,
                                     dry_run=False)

    assert exported["filename"].startswith("register_yinhang-grid-1_")
    assert report["counts"] == {"add": 0, "change": 0, "unchanged": 2, "refused": 0,
                                "skipped": 0}
    assert len(register_events(service)) == events_before
    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"]))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == TEMPLATE_HEADERS
    zhang_row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert zhang_row["联系电话"] == "13800000001、01012345678"
    assert zhang_row["探访计划"] == "周一、周三、周五、周六 09:30"
    assert zhang_row["人员类别"] == "低保、孤寡"
    assert zhang_row["联系人关系"] == "侄子、无"  # positions kept for the contact without one
    assert zhang_row["台账编号"] == first["resident_id"]
    views = service.get_resident(first["resident_id"], ADMIN)["views"]
    assert ("zhou", "export") in [(view["actor"]["id"], view["via"]) for view in views]


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3"]


def test_a_resident_named_like_a_formula_is_exported_as_text_and_imported_back_unchanged(
        service):
    """A name or a note that Excel would take for a formula (OWASP CSV injection) is written
    as text Excel shows as typed and never evaluates; importing the file changes nothing."""
    for room, formula in enumerate(FORMULAS, start=101):
        service.add_resident(zhang(name=formula, health_notes=formula, phones=[],
                                   emergency_contacts=[],
                                   address={**KAILU_12_302, "room": str(room)}), ADMIN)

    exported = service.export_register(GRID)

    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"]))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    name, notes = header.index("姓名"), header.index("健康状况")
    rows = list(sheet.iter_rows(min_row=2))
    assert sorted(row[name].value for row in rows) == sorted(FORMULAS)
    for row in rows:
        for cell in (row[name], row[notes]):
            assert cell.value in FORMULAS
            assert cell.data_type == "s" and cell.quotePrefix, cell.value  # text, not "f"
        assert not row[header.index("居住状态")].quotePrefix  # other text as it was
    report = service.import_register(exported["content_base64"], exported["filename"], ADMIN)
    assert report["counts"] == {"add": 0, "change": 0, "unchanged": 4, "refused": 0,
                                "skipped": 0}


def test_a_csv_register_in_gbk_or_utf8_imports_too(service):
    text = ("姓名,联系电话,区,街道,社区,小区,楼栋,室,出生日期,居住状态,人员类别,探访计划\n"
            "孤老张老伯,13800000001,杨浦区,殷行街道,开鲁新村,开鲁新村,12号,302,1941/11/26,独居,"
            "孤寡,每天 10:00、15:00\n"
            "吴大娘,13800000009,杨浦区,殷行街道,开鲁新村,开鲁新村,15号,101,1938年3月5日,空巢,,\n")

    for encoding, filename in (("gb18030", "台账.csv"), ("utf-8-sig", "台账-utf8.csv")):
        report = service.import_register(encoded(text.encode(encoding)), filename, GRID)
        assert [row["action"] for row in report["rows"]] == ["add", "add"], encoding

    service.import_register(encoded(text.encode("gb18030")), "台账.csv", GRID, dry_run=False)
    [zhang_row] = service.find_residents(GRID, phone="13800000001")
    assert zhang_row["checkin_plan"]["times"] == ["10:00", "15:00"]
    again = service.import_register(encoded(text.encode("utf-8-sig")), "台账.csv", GRID)
    assert again["counts"]["unchanged"] == 2


def test_the_template_has_the_committees_columns(service):
    template = service.register_template()

    book = load_workbook(io.BytesIO(base64.b64decode(template["content_base64"])))
    assert template["filename"].endswith(".xlsx")
    assert [cell.value for cell in book.worksheets[0][1]] == TEMPLATE_HEADERS
    assert book.worksheets[1].title == "填写说明"
    report = service.import_register(template["content_base64"], template["filename"], ADMIN)
    assert report["rows"] == []


def test_a_file_that_is_not_a_register_is_refused_whole(service):
    with pytest.raises(InvalidRequest) as no_header:
        service.import_register(encoded(workbook_bytes(["名单"], [["张三"]])), "x.xlsx", ADMIN)
    with pytest.raises(InvalidRequest) as old_excel:
        service.import_register(encoded(b"\xd0\xcf\x11\xe0"), "台账.xls", ADMIN)
    with pytest.raises(InvalidRequest) as not_base64:
        service.import_register("not base64!", "台账.xlsx", ADMIN)

    assert "姓名" in no_header.value.errors["content_base64"][0]
    assert ".xlsx" in old_excel.value.errors["content_base64"][0]
    assert "content_base64" in not_base64.value.errors


def test_rows_can_be_imported_a_part_at_a_time_under_one_batch(service):
    part = service.import_register(committee_sheet(), "台账.xlsx", GRID, dry_run=False,
                                   rows=[4, 9], batch_id="imp-test-1")

    assert [row["row"] for row in part["rows"]] == [4, 5, 6, 7, 8, 9]
    assert part["batch_id"] == "imp-test-1" and part["counts"]["add"] == 1
    [wu] = service.find_residents(GRID)
    assert wu["name"] == "吴大娘"
    rest = service.import_register(committee_sheet(), "台账.xlsx", GRID)
    assert [row["action"] for row in rest["rows"]][:2] == ["add", "unchanged"]


def test_dates_and_plans_as_committees_write_them():
    for written in ("1926-03-05", "1926/3/5", "1926年3月5日", "19260305", "1926.3.5",
                    dt.datetime(1926, 3, 5), 9561):
        assert parse_date(written) == dt.date(1926, 3, 5), written
    assert parse_date("九三年") is None and parse_date(1926) is None
    assert parse_date("1926-02-30") is None
    for written, plan in (
            ("每天 10:00、15:00", ([1, 2, 3, 4, 5, 6, 7], ["10:00", "15:00"])),
            ("周一至周五 10:00", ([1, 2, 3, 4, 5], ["10:00"])),
            ("星期一到星期五 10：00", ([1, 2, 3, 4, 5], ["10:00"])),
            ("周一、三、五 9点半", ([1, 3, 5], ["09:30"])),
            ("工作日 10:00", ([1, 2, 3, 4, 5], ["10:00"])),
            ("周末 15:00,16:00", ([6, 7], ["15:00", "16:00"])),
            ("10:00", ([1, 2, 3, 4, 5, 6, 7], ["10:00"]))):
        parsed = parse_plan(written)
        assert (parsed["days"], parsed["times"]) == plan, written
        assert parse_plan(plan_text(parsed)) == parsed  # written back, read the same
    assert parse_plan("随时") is None and parse_plan("每周 10:00") is None
    assert parse_plan("每天") is None  # no time
    assert plan_text({"days": [1, 2, 3, 5], "times": ["10:00"]}) == "周一至周三、周五 10:00"


def test_the_command_line_shows_the_report_then_applies_with_a_progress_bar(service, tmp_path):
    path = tmp_path / "开鲁新村台账.xlsx"
    path.write_bytes(workbook_bytes(HEADER, committee_rows()))
    rpc = SimpleNamespace(register=service)
    out, err = io.StringIO(), io.StringIO()

    preview = register_cli.import_file(rpc, path.name, path.read_bytes(), lambda: GRID,
                                       apply=False,
                                       chunk=1, out=out, err=err)
    assert preview["add"] == 2 and service.find_residents(GRID) == []
    assert "不予导入" in out.getvalue() and "缺少姓名" in out.getvalue()

    done = register_cli.import_file(rpc, path.name, path.read_bytes(), lambda: GRID,
                                    apply=True,
                                    chunk=1, out=out, err=err)

    assert done == {"add": 2, "change": 0, "refused": 0}
    assert len(service.find_residents(GRID)) == 2
    assert "导入 [" in err.getvalue() and "2/2 行" in err.getvalue()
    batches = {service.get_resident(row["resident_id"], ADMIN)["history"][0]["batch_id"]
               for row in service.find_residents(GRID)}
    assert len(batches) == 1  # two calls, one batch


def test_health_notes_are_for_the_residents_grid_only_and_survive_an_admins_round_trip(
        service):
    """Health notes leave the register only for the resident's own grid unit: an admin
    reads the card, exports and imports back without them, and they stay as they were."""
    added = service.add_resident(zhang(health_notes="高血压，独自在家，行动需助行器"), GRID)
    number = added["resident_id"]
    assert service.get_resident(number, GRID)["health_notes"] == "高血压，独自在家，行动需助行器"
    for reader in (ADMIN, {**ADMIN, "id": "chen", "role": "supervisor"}):
        assert service.get_resident(number, reader)["health_notes"] is None

    exported = service.export_register(ADMIN, "yinhang-grid-1")
    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"]))).worksheets[0]
    assert "行动需助行器" not in str([[cell.value for cell in row] for row in sheet.rows])
    report = service.import_register(exported["content_base64"], exported["filename"], ADMIN,
                                     dry_run=False)
    assert report["counts"]["change"] == 0
    assert service.get_resident(number, GRID)["health_notes"] == "高血压，独自在家，行动需助行器"
