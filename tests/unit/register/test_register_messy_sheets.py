"""Registers as committees really keep them: a title merged across the top, a note above
the header, columns the template does not have (性别, 备注, 编号), birth dates known only to
the month or the year and written every which way, blank rows, headings between blocks, a
footer saying who made the table, cells that are formulas. Each row is imported as it was
given, skipped with a line saying why, or refused for its real reason; nothing is stored
from a refused row or a footer."""
import base64
import datetime as dt
import io
import re
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import to_excel
from test_register_residents import ADMIN, GRID

from services.register import residents
from services.register.sheets import parse_birth
from services.shared import births, clock

KAILU = ["杨浦区", "殷行街道", "开鲁新村"]


def saved(book: Workbook, patch=None) -> str:
    """The workbook as an upload; ``patch`` edits its XML files ({name: text → text}), for
    what only Excel writes (a formula's value, a Chinese built-in date format)."""
    content = io.BytesIO()
    book.save(content)
    if patch:
        source, patched = zipfile.ZipFile(content), io.BytesIO()
        with zipfile.ZipFile(patched, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename in patch:
                    before = data
                    data = patch[item.filename](data.decode("utf-8")).encode("utf-8")
                    assert data != before, item.filename  # the patch found its place
                target.writestr(item, data)
        content = patched
    return base64.b64encode(content.getvalue()).decode("ascii")


def titled(header: list[str], title: str, *above: list) -> Workbook:
    """A sheet with ``title`` merged across the columns, ``above`` rows, then the header."""
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for row in above:
        sheet.append(row)
    sheet.append(header)
    return book


def by_row(report: dict) -> dict[int, dict]:
    return {row["row"]: row for row in report["rows"]}


def actions(report: dict) -> dict[int, str]:
    return {row["row"]: row["action"] for row in report["rows"]}


def stored(service, actor=GRID) -> dict[str, dict]:
    """Every resident the register now has, by name, as their cards."""
    return {row["name"]: service.get_resident(row["resident_id"], actor)
            for row in service.find_residents(actor)}


# --- 1. 开鲁新村: birth years and months, a footer and a note --------------------------

KAILU_HEADER = ["序号", "姓名", "性别", "出生年月", "联系电话", "区", "街道", "社区", "楼栋",
                "室", "居住状态", "备注"]


def kailu_register() -> str:
    book = titled(KAILU_HEADER, "殷行街道开鲁新村独居老人花名册（2024年）",
                  ["填报单位：开鲁新村居委会", *[None] * 7, "填报日期：2024年3月"])
    sheet = book.active
    for row in [
        [1, "张桂英", "女", "1938年5月", "13800000101", *KAILU, "12号", "302", "独居",
         "儿子在外地"],                                                           # row 4
        [2, "李阿公", "男", 1938, "13800000102", *KAILU, "12号", "401", "独居", None],
        [3, "王阿婆", "女", dt.datetime(1941, 11, 26), "13800000103", *KAILU, "15号", "101",
         "独居", None],
        [None] * len(KAILU_HEADER),                                              # row 7
        [4, "赵老伯", "男", dt.datetime(1936, 8, 1), "13800000104", *KAILU, "15号", "202",
         "空巢", "本人不愿留电话"],                                               # row 8
        [5, "钱阿姨", "女", "1940.5", "13800000105", *KAILU, "15号", "303", "独居", None],
        [6, "孙大爷", "男", "1939/11", "13800000106", *KAILU, "16号", "101", "独居", None],
        [7, "周奶奶", "女", "1937年", "13800000107", *KAILU, "16号", "102", "独居", None],
        [8, "吴阿婆", "女", "1935-02", "13800000108", *KAILU, "16号", "103", "独居", None],
        [None] * len(KAILU_HEADER),                                              # row 13
        ["制表人：王芳", None, None, None, "审核人：李明", None, None, None,
         "日期：2024年3月5日"],                                                   # row 14
        ["注：1. 本表每季度更新一次；2. 出生日期不详的只填年月。"],                  # row 15
    ]:
        sheet.append(row)
    sheet.merge_cells("A15:L15")
    sheet["D6"].number_format = 'yyyy"年"m"月"d"日"'  # a whole date, shown in Chinese
    sheet["D8"].number_format = 'yyyy"年"m"月"'      # Excel's own 1938年5月: a month
    for number in range(16, 40):  # rows formatted for more residents, never filled
        sheet.cell(number, 2).number_format = "@"
    return saved(book)


KAILU_BIRTHS = {"张桂英": "1938-05", "李阿公": "1938", "王阿婆": "1941-11-26",
                "赵老伯": "1936-08", "钱阿姨": "1940-05", "孙大爷": "1939-11",
                "周奶奶": "1937", "吴阿婆": "1935-02"}


def test_a_register_of_birth_months_and_years_keeps_each_as_given(service, store):
    report = service.import_register(kailu_register(), "开鲁新村花名册.xlsx", GRID)

    assert actions(report) == {4: "add", 5: "add", 6: "add", 7: "skipped", 8: "add",
                               9: "add", 10: "add", 11: "add", 12: "add", 13: "skipped",
                               14: "skipped", 15: "skipped"}  # nothing of the blank rows after
    rows = by_row(report)
    assert rows[7]["reasons"] == rows[13]["reasons"] == ["空行"]
    assert rows[14]["reasons"] == ["表尾，不是人员: 制表人：王芳  审核人：李明  日期：2024年3月5日"]
    assert rows[15]["reasons"][0].startswith("说明行，不是人员: 注：1. 本表每季度更新一次")
    assert all(rows[number]["name"] is None for number in (7, 13, 14, 15))
    assert report["ignored_columns"] == ["性别", "备注"]
    assert report["counts"] == {"add": 8, "change": 0, "unchanged": 0, "refused": 0,
                                "skipped": 4}
    assert store.residents.count_documents({}) == 0  # a dry run writes nothing

    applied = service.import_register(kailu_register(), "开鲁新村花名册.xlsx", GRID,
                                      dry_run=False)

    assert [row["reasons"] for row in applied["rows"] if row["action"] == "skipped"] == \
        [row["reasons"] for row in report["rows"] if row["action"] == "skipped"]
    cards = stored(service)
    assert {name: card["birth_date"] for name, card in cards.items()} == KAILU_BIRTHS
    assert all(card["consent_notes"] is None for card in cards.values())  # 备注 is not that
    today = residents.today(clock.now())
    assert cards["张桂英"]["age"] == residents.age_on("1938-05-01", today)
    assert cards["李阿公"]["age"] == residents.age_on("1938-01-01", today)
    assert cards["张桂英"]["birthday"] is None and cards["李阿公"]["birthday"] is None
    assert cards["王阿婆"]["birthday"] == "11-26"
    greeted = service.birthdays("yinhang-grid-1", start=today.isoformat(), days=366,
                                actor=GRID)
    assert [row["name"] for row in greeted] == ["王阿婆"]  # the only day known
    assert service.import_register(kailu_register(), "开鲁新村花名册.xlsx", GRID)["counts"] \
        == {"add": 0, "change": 0, "unchanged": 8, "refused": 0, "skipped": 4}


# --- 2. A register with formulas, and rows refused for what is really wrong ------------

FORMULA_HEADER = ["姓名（必填）", "联系电话\n（手机）", "区", "出生日期", "居住情况", "编号",
                  "探访时间", "备注"]


def formula_register() -> str:
    book = titled(FORMULA_HEADER, "殷行街道空巢老人台账")
    sheet = book.active
    for row in [
        ["冯阿姨", "13800000201", "杨浦区", "1942-03-04", "独居", "A-003", "2024-03-01",
         "常去社区食堂"],                                                       # row 3
        ["吴大娘", "=13800000202", "杨浦区", "1938-05-06", "独居"],             # a formula
        ["郑大爷", "13800000203", "杨浦区", "=DATE(1938,5,1)", "独居"],         # a formula
        ["=B5", "13800000204", "杨浦区", "1940-01-01", "独居"],                 # text, as one
        ["陈老伯", "13800000205", "杨浦区", "九三年", "独居"],
        ["褚阿婆", "13800000206", "杨浦区", "2099年1月", "独居"],
        ["卫老", "13800000207", "杨浦区", 1938.1, "独居"],                      # 1938.10?
        [None] * len(FORMULA_HEADER),                                            # row 10
        ["合计：7人"],                                                            # row 11
    ]:
        sheet.append(row)
    sheet["A6"].data_type = "s"  # typed into a column formatted as text: "=B5" as written
    return saved(book)


def test_refused_rows_say_their_real_reason_and_store_nothing(service, store):
    report = service.import_register(formula_register(), "空巢台账.xlsx", GRID)

    assert actions(report) == {3: "add", 4: "refused", 5: "refused", 6: "refused",
                               7: "refused", 8: "refused", 9: "refused", 10: "skipped",
                               11: "skipped"}
    rows = by_row(report)
    assert rows[4]["reasons"] == [
        "联系电话（手机）像是公式，不是填写的内容: =13800000202 (请直接填写内容，或在 Excel "
        "中把该列“选择性粘贴为数值”后再导入)"]
    [date_formula] = rows[5]["reasons"]
    assert date_formula.startswith("出生日期像是公式，不是填写的内容: =DATE(1938,5,1)")
    [name_formula] = rows[6]["reasons"]  # not 缺少姓名
    assert name_formula.startswith("姓名（必填）像是公式，不是填写的内容: =B5")
    assert rows[7]["reasons"][0].startswith("出生日期无法识别: 九三年")
    assert rows[8]["reasons"] == ["出生日期晚于今天: 2099-01"]
    assert rows[9]["reasons"][0].startswith("出生日期 1938.1 是数字，分不清是1月还是10月")
    assert rows[11]["reasons"] == ["表尾，不是人员: 合计：7人"]
    assert report["ignored_columns"] == ["编号", "探访时间", "备注"]

    applied = service.import_register(formula_register(), "空巢台账.xlsx", GRID,
                                      dry_run=False)

    assert applied["counts"] == {"add": 1, "change": 0, "unchanged": 0, "refused": 6,
                                 "skipped": 2}
    [only] = stored(service).values()
    assert (only["name"], only["living_status"]) == ("冯阿姨", "alone")
    assert only["checkin_plan"] is None and only["consent_notes"] is None  # 探访时间, 备注
    assert store.residents.count_documents({}) == 1


# --- 3. Blocks under headings, two phone columns, Excel's own dates and formulas -------

BLOCKS_HEADER = ["序号", "姓名", "电话", "手机", "区", "街道", "社区", "小区", "楼栋", "室",
                 "出生日期", "人员类别", "身体状况", "紧急联系人", "联系人关系", "联系人电话",
                 "门牌号", "备注/同意情况"]


def blocks_register() -> str:
    book = titled(BLOCKS_HEADER, "开鲁新村重点关爱对象登记表")
    sheet = book.active
    home = [*KAILU, "开鲁新村"]
    for row in [
        ["一、独居老人"],                                                        # row 3
        [1, "沈阿爹", "021-65430001", "13800000301", *home, "20号", "101", "1926-03-05",
         "孤寡", "高血压", "沈建国", "儿子", "13900000301", "开鲁路100弄", "本人同意"],
        [2, "韩奶奶", None, "13800000302", *home, "20号", "102", "1926/3/5", None, None,
         None, None, None, None, None],
        [3, "杨老伯", None, "13800000303", *home, "20号", "103", "1926年3月5日", None, None,
         None, None, None, None, None],
        [4, "朱阿婆", None, "13800000304", *home, "20号", "104", "19260305", None, None,
         None, None, None, None, None],
        [5, "秦老", None, "13800000305", *home, "20号", "105", 9561, None, None, None, None,
         None, None, None],                                                      # row 8
        [None] * len(BLOCKS_HEADER),                                             # row 9
        ["二、空巢老人"],                                                        # row 10
        [6, "尤阿姨", None, "13800000306", *home, "21号", "101",
         dt.datetime(1936, 8, 1), None, None, None, None, None, None, None],    # row 11
        [7, "许老伯", None, "13800000307", *home, "21号", "102", "=DATE(1940,2,3)",
         None, None, None, None, None, None, None],                              # row 12
        ["制 表 人：王芳", None, "联系电话：65430000"],                          # row 13
        ["填报日期：2024-03-05"],                                                # row 14
    ]:
        sheet.append(row)
    for heading in ("A3:R3", "A10:R10"):
        sheet.merge_cells(heading)
    sheet["K11"].number_format = 'yyyy"年"m"月"'
    serial = int(to_excel(dt.date(1940, 2, 3)))
    return saved(book, {
        "xl/styles.xml": as_chinese_excel_saves_a_month,
        # a formula as Excel saves it: with the value it worked out
        "xl/worksheets/sheet1.xml": lambda xml: xml.replace(
            "<f>DATE(1940,2,3)</f><v />", f"<f>DATE(1940,2,3)</f><v>{serial}</v>")})


def as_chinese_excel_saves_a_month(styles: str) -> str:
    """The cells formatted yyyy"年"m"月" as Chinese Excel saves them: its built-in format
    57, by number only."""
    custom = re.search(r'<numFmt numFmtId="(\d+)" formatCode="yyyy&quot;年&quot;m&quot;月'
                       r'&quot;"', styles).group(1)
    return re.sub(rf'(<xf [^>]*numFmtId="){custom}"', r'\g<1>57"', styles)


def test_headings_footers_and_excels_own_cells_are_read_as_a_person_sees_them(service):
    report = service.import_register(blocks_register(), "重点关爱对象.xlsx", GRID)

    assert actions(report) == {3: "skipped", 4: "add", 5: "add", 6: "add", 7: "add",
                               8: "add", 9: "skipped", 10: "skipped", 11: "add", 12: "add",
                               13: "skipped", 14: "skipped"}
    rows = by_row(report)
    assert rows[3]["reasons"] == ["分组标题行，不是人员: 一、独居老人"]
    assert rows[10]["reasons"] == ["分组标题行，不是人员: 二、空巢老人"]
    assert rows[13]["reasons"] == ["表尾，不是人员: 制 表 人：王芳  联系电话：65430000"]
    assert rows[14]["reasons"] == ["表尾，不是人员: 填报日期：2024-03-05"]
    assert report["ignored_columns"] == ["门牌号"]

    service.import_register(blocks_register(), "重点关爱对象.xlsx", GRID, dry_run=False)

    cards = stored(service)
    assert set(cards) == {"沈阿爹", "韩奶奶", "杨老伯", "朱阿婆", "秦老", "尤阿姨", "许老伯"}
    assert {cards[name]["birth_date"] for name in ("沈阿爹", "韩奶奶", "杨老伯", "朱阿婆",
                                                   "秦老")} == {"1926-03-05"}
    assert cards["尤阿姨"]["birth_date"] == "1936-08"
    assert cards["许老伯"]["birth_date"] == "1940-02-03"
    shen = cards["沈阿爹"]
    assert shen["phones"] == ["+862165430001", "+8613800000301"]  # 电话 and 手机 both
    assert (shen["health_notes"], shen["consent_notes"]) == ("高血压", "本人同意")
    assert shen["groups"] == ["childless"]
    assert shen["emergency_contacts"] == [
        {"name": "沈建国", "relation": "儿子", "phone": "+8613900000301"}]


# --- the register's own file, and the written styles ----------------------------------


def test_a_month_or_year_of_birth_is_exported_and_imported_back_as_it_is(service):
    from test_register_residents import zhang
    for name, born, room in (("张桂英", "1938-05", "101"), ("李阿公", "1938", "102"),
                             ("王阿婆", "1941-11-26", "103")):
        service.add_resident(zhang(name=name, birth_date=born, phones=[],
                                   emergency_contacts=[],
                                   address={**zhang()["address"], "room": room}), ADMIN)

    exported = service.export_register(ADMIN)

    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"]))).active
    header = [cell.value for cell in sheet[1]]
    born = {row[header.index("姓名")].value: row[header.index("出生日期")]
            for row in sheet.iter_rows(min_row=2)}
    assert born["张桂英"].number_format == 'yyyy"年"m"月"'  # shown 1938年5月 in Excel
    assert born["李阿公"].number_format == 'yyyy"年"'
    assert born["王阿婆"].number_format == "yyyy-mm-dd"
    report = service.import_register(exported["content_base64"], exported["filename"], ADMIN)
    assert report["counts"] == {"add": 0, "change": 0, "unchanged": 3, "refused": 0,
                                "skipped": 0}


def test_birth_dates_as_committees_write_them():
    for written, expected in (
            ("1938年5月", ("1938-05-01", births.MONTH)), ("1938.5", ("1938-05-01", births.MONTH)),
            ("1938-05", ("1938-05-01", births.MONTH)), ("1938/5", ("1938-05-01", births.MONTH)),
            ("1938.12", ("1938-12-01", births.MONTH)), (1938.5, ("1938-05-01", births.MONTH)),
            ("1938年", ("1938-01-01", births.YEAR)), ("1938", ("1938-01-01", births.YEAR)),
            (1938, ("1938-01-01", births.YEAR)), (1938.0, ("1938-01-01", births.YEAR)),
            ("1938-05-06", ("1938-05-06", births.DAY)), ("1938/5/6", ("1938-05-06", births.DAY)),
            ("1938年5月6日", ("1938-05-06", births.DAY)), ("19380506", ("1938-05-06", births.DAY)),
            (dt.datetime(1938, 5, 6), ("1938-05-06", births.DAY)),
            (int(to_excel(dt.date(1938, 5, 6))), ("1938-05-06", births.DAY))):
        day, known = parse_birth(written)
        assert (day.isoformat(), known) == expected, written
    for unreadable in ("1938-13", "1938年13月", "九三年", "38年5月", "5月", "", None, True):
        assert parse_birth(unreadable) is None, unreadable


# --- line breaks typed in a cell ------------------------------------------------------


def test_a_cells_line_breaks_are_kept_as_typed_however_the_file_writes_them(service):
    """Excel writes a CR it cannot put in XML as _x000D_ (a CRLF typed in another program
    and pasted in, or a file of an older system); a CSV keeps CRLF inside quotes."""
    book = Workbook()
    book.active.append(["姓名", "联系电话", "区", "身体状况", "备注/同意情况"])
    book.active.append(["蒋阿婆", "13800000401", "杨浦区", "高血压\n腿脚不便",
                        "本人同意\n女儿同意"])
    excel = saved(book, {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
        "高血压\n腿脚不便", "高血压_x000D_\n腿脚不便").replace(
        "本人同意\n女儿同意", "本人同意_x000D_女儿同意")})
    csv = base64.b64encode("姓名,联系电话,区,身体状况\r\n沈阿爹,13800000402,杨浦区,"
                           '"糖尿病\r\n需低糖饮食"\r\n'.encode()).decode("ascii")

    for content, filename in ((excel, "关爱对象.xlsx"), (csv, "关爱对象.csv")):
        report = service.import_register(content, filename, GRID, dry_run=False)
        assert report["counts"]["add"] == 1, report["rows"]

    cards = stored(service)
    assert cards["蒋阿婆"]["health_notes"] == "高血压\n腿脚不便"
    assert cards["蒋阿婆"]["consent_notes"] == "本人同意\n女儿同意"
    assert cards["沈阿爹"]["health_notes"] == "糖尿病\n需低糖饮食"
