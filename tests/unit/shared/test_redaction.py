"""Redacting free text before it leaves the system (services/shared/privacy.py, ``redact``).

Hotline descriptions as agents type them: the personal data in them becomes a placeholder
that says what was there, and everything else (addresses, dates, amounts, ticket numbers)
comes through exactly as written.
"""
from __future__ import annotations

import phonenumbers
import pytest

from services.shared.privacy import BANK_CARD, ID_CARD, NAME, PHONE, PLACEHOLDERS, redact

# Descriptions with personal data in them, and what a public feed may show of each.
# The ID numbers pass their check digit, the bank cards the Luhn check.
WITH_PERSONAL_DATA: list[tuple[str, str]] = [
    # the welfare check of the seeds: a missed call, an emergency contact, his mobile
    ("孙奶奶探访电话3次未接通，紧急联系人：吴建国（儿子）13900000009，请网格员上门查看",
     "[姓名]探访电话3次未接通，紧急联系人：[姓名]（儿子）[电话]，请网格员上门查看"),
    # phones, in every way people write them
    ("市民张建华来电反映开鲁新村12号楼楼道灯不亮已有一周，联系电话13917002288。",
     "市民[姓名]来电反映开鲁新村12号楼楼道灯不亮已有一周，联系电话[电话]。"),
    ("王阿姨反映家中卫生间水管漏水，请尽快上门维修，电话139 1700 2288",
     "[姓名]反映家中卫生间水管漏水，请尽快上门维修，电话[电话]"),
    ("李大爷独居，腿脚不便，希望社区帮忙代买药品，联系电话139-1700-2288。",
     "[姓名]独居，腿脚不便，希望社区帮忙代买药品，联系电话[电话]。"),
    ("来电人周女士称其父亲张老伯（85岁）近两天没有下楼，敲门无人应答，请网格员上门查看。"
     "周女士手机+86 139 1700 2288。",
     "来电人[姓名]称其父亲[姓名]（85岁）近两天没有下楼，敲门无人应答，请网格员上门查看。"
     "[姓名]手机[电话]。"),
    ("吴大娘家门口的路灯坏了两个月，晚上出行不便。来电号码0086-13917002288。",
     "[姓名]家门口的路灯坏了两个月，晚上出行不便。来电号码[电话]。"),
    ("刘奶奶的儿子刘建军反映老人家中燃气灶打不着火，联系电话021-6543 2100",
     "[姓名]的儿子[姓名]反映老人家中燃气灶打不着火，联系电话[电话]"),
    ("陈先生反映小区地下车库被外来车辆占用，固定电话(021)65432100",
     "[姓名]反映小区地下车库被外来车辆占用，固定电话[电话]"),
    ("小王来电称楼上邻居空调外机滴水，联系方式021 65432100",
     "[姓名]来电称楼上邻居空调外机滴水，联系方式[电话]"),
    ("老李反映12号楼电梯频繁停运，家里座机6543 2100，白天有人",
     "[姓名]反映12号楼电梯频繁停运，家里座机[电话]，白天有人"),
    ("欧阳先生投诉物业服务不到位，联系电话＋８６ １３９ １７００ ２２８８（全角）",
     "[姓名]投诉物业服务不到位，联系电话[电话]（全角）"),
    ("居民反映：楼道灯不亮，联系人 老周，电话6543-2100",
     "居民反映：楼道灯不亮，联系人 [姓名]，电话[电话]"),
    # ID card numbers: 18 characters, an X at the end, the old 15-digit form
    ("申请人：赵志强，身份证号310110195203140024，申请高龄津贴",
     "申请人：[姓名]，身份证号[身份证号]，申请高龄津贴"),
    ("老人身份证号码11010519491231002X，户籍在本区，要求办理助餐卡",
     "老人身份证号码[身份证号]，户籍在本区，要求办理助餐卡"),
    ("代办跑腿：帮老人复印证件11010519491231002x两份",
     "代办跑腿：帮老人复印证件[身份证号]两份"),
    ("老人持旧版证件310110520314002，需换领新证，行动不便请上门办理",
     "老人持旧版证件[身份证号]，需换领新证，行动不便请上门办理"),
    ("身份证号：310110 19481105 1020，户口本已遗失",
     "身份证号：[身份证号]，户口本已遗失"),
    # bank cards, after a cue or by the Luhn check alone
    ("市民钱先生反映养老金未到账，银行卡号6222 0210 0111 2223 331，请人社部门核实",
     "市民[姓名]反映养老金未到账，银行卡号[银行卡号]，请人社部门核实"),
    ("高龄补贴打到6217001234567890122后显示失败，请核实原因",
     "高龄补贴打到[银行卡号]后显示失败，请核实原因"),
    ("老人称其储蓄卡622848012345678900被他人冒领，要求协助报警",
     "老人称其储蓄卡[银行卡号]被他人冒领，要求协助报警"),
    # names after cue words, with a colon or without
    ("联系人：王芳，电话13812345678，住开鲁新村5号楼",
     "联系人：[姓名]，电话[电话]，住开鲁新村5号楼"),
    ("老人因病住院，紧急联系人:马丽（女儿）13900000009",
     "老人因病住院，紧急联系人:[姓名]（女儿）[电话]"),
    ("独居老人孙桂英家中电话无人接听，其女儿钱小红电话021-65432100也未接通",
     "独居老人[姓名]家中电话无人接听，其女儿[姓名]电话[电话]也未接通"),
    ("姓名：欧阳娜娜；联系电话：139 1700 2288；诉求：楼道堆物清理",
     "姓名：[姓名]；联系电话：[电话]；诉求：楼道堆物清理"),
    ("家属：赵志强（儿子），手机139-1700-2288，老人住殷行街道开鲁新村8号楼302室",
     "家属：[姓名]（儿子），手机[电话]，老人住殷行街道开鲁新村8号楼302室"),
    ("来电人：李红梅，反映母亲王桂兰（82岁）独居无人照看，紧急联系人李明（儿子）13900000009",
     "来电人：[姓名]，反映母亲[姓名]（82岁）独居无人照看，紧急联系人[姓名]（儿子）[电话]"),
    ("业主陈建华反映车位被占，车主电话13917002288，请物业协调",
     "业主[姓名]反映车位被占，车主电话[电话]，请物业协调"),
    # names before what a caller does, or before kin in brackets
    ("张建华反映：小区东门路灯不亮。", "[姓名]反映：小区东门路灯不亮。"),
    ("刘海燕称家中老人走失，老人王德发今年79岁，请协助查找",
     "[姓名]称家中老人走失，老人[姓名]今年79岁，请协助查找"),
    ("经核实，吴建国(儿子)已于昨日接老人回家", "经核实，[姓名](儿子)已于昨日接老人回家"),
    # honorifics and kinship, before and after a surname, a full name with one
    ("黄阿姨反映楼上住户晾衣服滴水，多次沟通无果，楼上住户李先生电话13917002288",
     "[姓名]反映楼上住户晾衣服滴水，多次沟通无果，楼上住户[姓名]电话[电话]"),
    ("张婶和周叔叔反映小区健身器材损坏，希望尽快更换",
     "[姓名]和[姓名]反映小区健身器材损坏，希望尽快更换"),
    ("王秀英阿姨今年88岁，独居，请网格员每天10:00电话探访，电话021-6543 2100",
     "[姓名]今年88岁，独居，请网格员每天10:00电话探访，电话[电话]"),
    ("司徒女士反映小区垃圾厢房异味严重", "[姓名]反映小区垃圾厢房异味严重"),
    ("老张家的下水道堵了，污水倒灌，小吴反映后物业一直未处理",
     "[姓名]家的下水道堵了，污水倒灌，[姓名]反映后物业一直未处理"),
    ("网格员回访：李大爷表示满意，其女儿李芳电话139 1700 2288",
     "网格员回访：[姓名]表示满意，其女儿[姓名]电话[电话]"),
    ("紧急联系人：黄志明（外甥）、周（侄子）", "紧急联系人：[姓名]（外甥）、[姓名]（侄子）"),
    ("申请人：陈奕迅，申请老年助餐补贴，每餐补贴5元",
     "申请人：[姓名]，申请老年助餐补贴，每餐补贴5元"),
    ("经与王秀英本人核实，扶手已安装牢固，王秀英老人表示满意",
     "经与[姓名]本人核实，扶手已安装牢固，[姓名]老人表示满意"),
    ("楼组长老周反映3号楼楼道堆物，影响消防通道", "楼组长[姓名]反映3号楼楼道堆物，影响消防通道"),
    ("李明哥哥来电称，王桂兰女儿每周来一次，张建华的儿子暂住在外地",
     "[姓名]哥哥来电称，[姓名]女儿每周来一次，[姓名]的儿子暂住在外地"),
    # as the seeds' news reports tell it
    ("84岁的高龄独居老人曹奶奶，唯一的儿子因工作繁忙，没有时间常陪伴母亲身旁",
     "84岁的高龄独居老人[姓名]，唯一的儿子因工作繁忙，没有时间常陪伴母亲身旁"),
    ("网格员每天都要致电郭爷爷，询问家中是否需要蔬菜水果等生活日用品",
     "网格员每天都要致电[姓名]，询问家中是否需要蔬菜水果等生活日用品"),
    # several kinds at once
    ("来电人周建国，身份证号310107198605271524，银行卡号6222021001112221，手机13917002288，"
     "反映残疾人补贴未发放",
     "来电人[姓名]，身份证号[身份证号]，银行卡号[银行卡号]，手机[电话]，"
     "反映残疾人补贴未发放"),
]

# Descriptions without any personal data: each comes back exactly as written.
WITHOUT_PERSONAL_DATA: list[str] = [
    "开鲁新村12号楼302室楼道灯不亮，已有3天",
    "殷行街道开鲁新村门口两盏路灯不亮，晚上出行不便",
    "杨浦区殷行街道开鲁新村5号楼电梯2026年11月23日起停运，至今未修复",
    "工单号YP20261123-0001，市民反映的问题已于10:00处理完毕",
    "小区东门停车难，外来车辆乱停乱放，希望物业加强管理",
    "3号楼2单元1201室卫生间漏水到楼下1101室，已报修2次",
    "老旧小区加装电梯，每户需分摊费用约30000元，居民意见不一",
    "门卫大爷反映小区大门道闸故障，车辆无法进出",
    "保安大哥说地下车库积水约20厘米，请尽快排水",
    "小区里的老年人活动室空调坏了，夏天室温超过35度",
    "小高层住宅楼顶漏水，老毛病了，每逢下雨就渗水",
    "小车乱停占用消防通道，多次投诉无果",
    "老房改造工程2025-2026年度计划中未包含本小区",
    "2025-2026供暖季的费用尚未公示",
    "路面井盖缺失，位于国和路与殷行路交叉口东侧约50米处",
    "垃圾厢房每天18:00至20:00开放，居民希望延长到21:00",
    "物业服务热线400-820-8820长期无人接听",
    "市民反映拨打12345热线后工单已转办，希望尽快回复",
    "小区健身器材损坏，其中2台跑步机无法使用",
    "社区食堂老年助餐每餐15元，80岁以上老人每餐补贴5元",
    # an order number that passes the Luhn check: its cue says it is no card
    "订单号202611230001234562的维修费用至今未退还",
    "2026年11月23日上午9:00至11:30停水，请居民提前储水",
    "殷行路1288弄小区内树木倒伏，压坏2辆电动车",
    "居民区内共有独居老人435人，其中空巢老人120人",
    "楼道内堆放杂物约5立方米，存在消防隐患",
    "外卖小哥电动车在楼道充电，存在安全隐患",
    "班主任反映学校门口早晚交通拥堵",
    "向阳小区12号楼3单元楼道灯不亮",
    "东方路上的路灯坏了，江湾镇街道已派人查看",
    "家属同意由居委会代为办理，儿子在外地工作",
    "女儿常来看望，老人暂不需要上门服务",
    "小于3米的通道不能停车",
    "老伴去世后老人独居，腿脚不便，申请居家养老服务",
    "电梯维保合同号20261123001，维保单位已到场",
    "居委会书记和物业经理到现场查看，答复本周内修复",
    "修理费共计1280元，已于2026-11-23支付",
    "8号楼与9号楼之间的绿化带被占用种菜",
    "小区消防栓水压不足，测试压力0.15兆帕",
    "路灯报修时间09:00，修复时间10:00，用时1小时",
    "反映人：匿名。夜间施工噪音扰民，请核查。",
    "小区共有住户1200户，停车位仅300个，缺口20000000元的资金尚未落实",
    "满意度回访：基本满意，回访3次后办结",
    # honorifics and cue words with no name beside them
    "维修师傅已上门，更换了灯泡；保洁阿姨每天只打扫一次楼道",
    "定点探望时会关注老年人的用餐情况，同时也和老人的子女及时沟通老人的状况",
    "殷行老人活动中心的空调坏了，高龄老人每月可领取补贴",
    "请社区向老人宣传防诈骗知识，经本人同意后由社区代办",
    "物业公司称已经派人查看，居委会表示会协调解决",
    "联系人：居委会，反映人：匿名",
    "老人为高龄独居，家属是否同意上门服务尚待确认；联系人：高龄独居",
    "小陆家嘴地区交通拥堵，老沪闵路施工",
    "楼上邻居的儿子经常半夜弹琴，老人的女儿已向居委会反映",
]

# What redact() does not catch today, asserted as it is so that a change shows up here.
KNOWN_MISSES: list[tuple[str, str]] = [
    # a name with no cue around it: only ``names`` finds it
    ("张建华家的水管爆了，楼下天花板渗水", "张建华家的水管爆了，楼下天花板渗水"),
    # a name that starts with no common surname
    ("联系人：阿依古丽，电话13917002288", "联系人：阿依古丽，电话[电话]"),
    # a 7-digit local number (smaller cities): too like any other count to take
    ("老人家里座机7654321，白天有人", "老人家里座机7654321，白天有人"),
    # a number spelt in Chinese digits
    ("电话是一三九一七零零二二八八", "电话是一三九一七零零二二八八"),
    # not personal data as the brief has it: an e-mail address (a QQ number in it)
    ("市民发邮件至450952431@qq.com反映", "市民发邮件至450952431@qq.com反映"),
]

# What redact() takes for a name though it is none, asserted as it is today.
KNOWN_WRONGLY_TAKEN: list[tuple[str, str]] = [
    # a road named like a nickname: 老李 is one word for jieba
    ("老李家宅路12号门口积水", "[姓名]家宅路12号门口积水"),
    # after a colon, a common word that starts with a surname
    ("联系人：高峰时段值班人员", "联系人：[姓名]时段值班人员"),
]


@pytest.mark.parametrize(("text", "expected"), WITH_PERSONAL_DATA,
                         ids=[f"case{i:02d}" for i in range(len(WITH_PERSONAL_DATA))])
def test_the_personal_data_in_a_description_becomes_placeholders(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", WITHOUT_PERSONAL_DATA,
                         ids=[f"case{i:02d}" for i in range(len(WITHOUT_PERSONAL_DATA))])
def test_a_description_without_personal_data_comes_back_unchanged(text):
    assert redact(text) == text


@pytest.mark.parametrize(("text", "today"), KNOWN_MISSES,
                         ids=[f"miss{i:02d}" for i in range(len(KNOWN_MISSES))])
def test_what_is_known_to_slip_through(text, today):
    assert redact(text) == today


@pytest.mark.parametrize(("text", "today"), KNOWN_WRONGLY_TAKEN,
                         ids=[f"wrong{i:02d}" for i in range(len(KNOWN_WRONGLY_TAKEN))])
def test_what_is_known_to_be_taken_for_a_name_wrongly(text, today):
    assert redact(text) == today


def test_the_corpora_are_large_enough_to_mean_something():
    assert len(WITH_PERSONAL_DATA) >= 30
    assert len(WITHOUT_PERSONAL_DATA) >= 30


# The names the caller knows -------------------------------------------------------------

def test_a_name_the_caller_gives_goes_wherever_it_appears():
    text = "请吴建国尽快回电，吴建国的母亲独居在开鲁新村"
    assert redact(text) == text  # no cue: not found by itself
    assert redact(text, names=["吴建国"]) == "请[姓名]尽快回电，[姓名]的母亲独居在开鲁新村"


def test_a_name_found_only_through_names_is_the_known_miss_caught():
    text, today = KNOWN_MISSES[0]
    assert redact(text, names=["张建华"]) == "[姓名]家的水管爆了，楼下天花板渗水"


def test_several_names_the_longer_first():
    text = "吴建国和吴建到场，吴建国的妻子王秀英不在家"
    assert redact(text, names=["吴建", "吴建国", "王秀英"]) == \
        "[姓名]和[姓名]到场，[姓名]的妻子[姓名]不在家"


def test_a_given_name_takes_its_honorific_with_it():
    assert redact("王秀英阿姨家的燃气表漏气", names=["王秀英"]) == "[姓名]家的燃气表漏气"


def test_names_too_short_or_blank_are_ignored_rather_than_wiping_the_text():
    text = "王家宅路12号楼道灯不亮"
    assert redact(text, names=["", "  ", "王"]) == text


def test_names_may_be_any_iterable_and_are_trimmed():
    assert redact("联系钱小红", names=(n for n in [" 钱小红 "])) == "联系[姓名]"


# The placeholders -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [text for text, _ in WITH_PERSONAL_DATA])
def test_redacting_twice_is_redacting_once(text):
    once = redact(text)
    assert redact(once) == once


def test_the_placeholders_themselves_are_never_touched():
    text = "".join(PLACEHOLDERS) + "联系人：[姓名]（儿子）[电话]，[身份证号]、[银行卡号]"
    assert redact(text) == text
    assert redact(text, names=["姓名", "电话", "银行卡号"]) == text


def test_each_placeholder_says_what_was_there():
    assert (PHONE, ID_CARD, BANK_CARD, NAME) == ("[电话]", "[身份证号]", "[银行卡号]", "[姓名]")
    assert redact("13917002288 310110195203140024 6222021001112221 王阿姨") == \
        "[电话] [身份证号] [银行卡号] [姓名]"


def test_empty_text_stays_empty():
    assert redact("") == ""
    assert redact("", names=["吴建国"]) == ""


# Phones: phonenumbers first, a regex only for what it misses ----------------------------

def test_phonenumbers_does_not_call_a_local_number_without_area_code_valid():
    """Why the regex for 8-digit local numbers exists: at VALID leniency phonenumbers
    finds nothing in them, and at POSSIBLE it also takes a ticket number's digits."""
    def found(text: str, leniency: phonenumbers.Leniency) -> list[str]:
        return [m.raw_string for m in phonenumbers.PhoneNumberMatcher(text, "CN",
                                                                        leniency=leniency)]
    for local in ("6543 2100", "65432100", "6543-2100"):
        assert found(f"座机{local}", phonenumbers.Leniency.VALID) == []
        assert redact(f"座机{local}") == "座机[电话]"
    assert found("工单号YP20261123-0001", phonenumbers.Leniency.POSSIBLE) == ["20261123-0001"]


def test_business_hotlines_and_service_numbers_are_not_personal():
    text = "请拨打物业热线400-820-8820或800-820-8820，报警请拨110，本市热线12345，银行95588"
    assert redact(text) == text


def test_an_extension_stays_after_the_number():
    assert redact("电话：021-6543 2100转8012") == "电话：[电话]转8012"


def test_a_local_number_that_reads_as_a_date_an_amount_or_years_stays():
    for text in ("20261123到期", "筹款65432100元", "2025-2026", "25000000人次"):
        assert redact(text) == text


# ID cards and bank cards ----------------------------------------------------------------

def test_an_id_number_is_told_from_an_order_number_by_its_check_digit():
    valid = "310110195203140024"
    wrong_check = "310110195203140025"
    assert redact(f"老人{valid}") == "老人[身份证号]"
    assert redact(f"老人{wrong_check}") == f"老人{wrong_check}"


def test_a_mistyped_id_number_is_redacted_when_the_text_says_it_is_one():
    assert redact("身份证号310110195203140025") == "身份证号[身份证号]"
    assert redact("证件号：310110195203140025") == "证件号：[身份证号]"


def test_an_id_number_needs_a_real_birth_date():
    # right length, a check digit that holds, but born on the 30th month
    number = "310110195230140024"
    assert redact(f"编码{number}") == f"编码{number}"


def test_a_card_number_is_told_by_the_luhn_check_or_by_its_cue():
    assert redact("卡6222021001112221") == "卡[银行卡号]"
    assert redact("流水6222021001112222") == "流水6222021001112222"
    assert redact("银行卡号6222021001112222") == "银行卡号[银行卡号]"


def test_a_number_after_an_order_cue_is_never_a_card_or_an_id():
    assert redact("快递单号6222021001112221") == "快递单号6222021001112221"
    assert redact("工单编号310110195203140024") == "工单编号310110195203140024"


def test_a_longer_run_of_digits_is_not_cut_into_a_card():
    number = "62220210011122210000"  # 20 digits
    assert redact(f"编码{number}") == f"编码{number}"


# Names by their cues --------------------------------------------------------------------

def test_a_surname_with_an_honorific_keeps_nothing_of_the_surname():
    for said in ("王阿姨", "李大爷", "张老伯", "吴大娘", "刘奶奶", "陈先生", "周女士", "小王",
                 "老李", "欧阳女士", "王老太太", "张婶"):
        assert redact(f"{said}来电") == "[姓名]来电", said


def test_jieba_alone_is_not_trusted_with_names():
    """jieba tags these as person names (nr); none is one, and none is redacted."""
    for text in ("马路上的井盖丢了", "洪水过后地下室进水", "殷行街道杨浦区", "向阳小区"):
        assert redact(text) == text


def test_words_that_start_like_a_nickname_or_end_like_an_honorific_stay():
    for text in ("门卫大爷", "保安大哥", "邻居阿姨", "班主任", "首先生活垃圾分类", "老毛病",
                 "小高层", "小区", "老年人", "小时", "老房子", "小车", "小于"):
        assert redact(text) == text
