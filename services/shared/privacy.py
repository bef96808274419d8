"""Personal information (个人信息): callers' phone numbers and rooms are shown in full only
to those who need them for the ticket in hand, and masked everywhere else, logs included;
free text that leaves the system has the phones, ID and card numbers and names typed into
it redacted (``redact``).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import phonenumbers

from services.shared import segmentation

HIDDEN_ADDRESS_LEVELS = ("room", "detail")


def dialled_at_home(phone: str) -> str:
    """The number as dialled at home, digits only: 13812345678, 02112345678 (a landline
    keeps its 0); "+86 29 8888 1234", "029-8888-1234" and "02988881234" alike. Text
    phonenumbers cannot read keeps its own digits."""
    try:
        number = phonenumbers.parse(phone, "CN")
        digits = "".join(ch for ch in phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit())
    except phonenumbers.NumberParseException:
        digits = ""
    return digits or "".join(ch for ch in phone if ch.isdigit())


def mask_phone(phone: str | None) -> str | None:
    """138****5678: the national number with its first 3 and last 4 digits kept."""
    if not phone:
        return phone
    digits = dialled_at_home(phone)
    if len(digits) < 8:  # too short to keep 7 digits and still hide anything
        return "*" * max(len(digits) - 2, 0) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_caller(caller: dict | None) -> dict | None:
    """The caller with the phone masked (the name stays: the handler greets them by it)."""
    if not caller:
        return caller
    return {**caller, "phone": mask_phone(caller.get("phone"))}


def mask_address(address: dict | None) -> dict | None:
    """The address down to the building; room and free-text detail hidden."""
    if not address:
        return address
    return {**address, **{level: "***" for level in HIDDEN_ADDRESS_LEVELS if address.get(level)}}


def mask_payload(data: Any) -> Any:
    """Any event data or answer with every ``caller``, ``address`` and ``phone`` in it masked
    (for timelines and feeds shown to people who may not see them)."""
    if isinstance(data, list):
        return [mask_payload(item) for item in data]
    if not isinstance(data, dict):
        return data
    masked: dict[str, Any] = {}
    for key, value in data.items():
        if key == "caller" and isinstance(value, dict):
            masked[key] = mask_caller(value)
        elif key == "address" and isinstance(value, dict):
            masked[key] = mask_address(value)
        elif key in ("phone", "phones") and value:
            masked[key] = [mask_phone(v) for v in value] if isinstance(value, list) \
                else mask_phone(value)
        else:
            masked[key] = mask_payload(value)
    return masked


# Free text (描述、处理意见) ----------------------------------------------------------
#
# Agents type callers' numbers and names into descriptions; a text that leaves the system
# for someone who may not see them (a public Open311 feed, an export for another unit)
# goes through redact() first.

PHONE = "[电话]"
ID_CARD = "[身份证号]"
BANK_CARD = "[银行卡号]"
NAME = "[姓名]"
PLACEHOLDERS = (PHONE, ID_CARD, BANK_CARD, NAME)
_PLACEHOLDER = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")

_D = "[0-9０-９]"  # agents' input methods type full-width digits too
_NOT_BEFORE = r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_NOT_AFTER = r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"

# 16-19 digit cards (as printed in fours, or run together), 18- and 15-digit ID numbers
_LONG_NUMBER = re.compile(
    _NOT_BEFORE + "(?:"
    + f"{_D}{{4}}(?:[ -]{_D}{{4}}){{3}}(?:[ -]?{_D}{{1,3}})?"  # 6222 0210 0111 2223 334
    + f"|{_D}{{6}}[ -]{_D}{{8}}[ -]{_D}{{3}}[0-9０-９XxＸｘ]"  # 310101 19900307 123X
    + f"|{_D}{{17}}[XxＸｘ]|{_D}{{15,19}}"
    + ")" + _NOT_AFTER)

# What the words just before a number say it is; they outweigh the checksums (a mistyped
# ID is still someone's ID; an order number can pass the Luhn check by chance).
_CUE_REACH = 8
_ID_CUES = ("身份证", "证件号", "身份号", "公民身份")
_BANK_CUES = ("银行卡", "卡号", "账号", "帐号", "储蓄卡", "信用卡", "社保卡", "存折")
_ORDER_CUES = ("工单", "单号", "订单", "编号", "流水号", "快递", "运单", "票号", "合同号",
               "户号", "表号", "证书号", "车架号")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# phonenumbers' kinds that are businesses' lines, not people's (400/800 hotlines)
_BUSINESS_NUMBER_TYPES = frozenset({
    phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.UAN})

# An 8-digit local number without its area code (6543 2100): phonenumbers calls it merely
# "possible", and its POSSIBLE leniency also takes the digits of ticket numbers.
_LOCAL_NUMBER = re.compile(
    r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ\-－.．:：/])"
    + f"([2-9２-９]{_D}{{3}})([ \\-－]?)({_D}{{4}})"
    + r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ\-－.．:：/%％])")
# a count or an amount, not a number to dial: 12000000元, 20000000人
_UNITS = frozenset("元块万亿千百号次米个户人年月日天时分秒岁台辆件份平方吨度斤里"
                   "室楼栋层单期批位名条张只家届")

# Surnames (百家姓 as met in a city today), less those that are far more often little
# words (和, 由, 都, 来, 但...: 也和老人); compound ones first so 欧阳 wins over 欧.
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "司徒", "夏侯", "皇甫", "慕容", "令狐",
                      "尉迟", "公孙", "长孙", "宇文", "端木", "独孤", "南宫", "西门", "呼延")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈"
    "匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖"
    "练廉禹井祖漆巴丰支卿国狄平计索宣晋初门云容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘"
    "亓修邰赫杭况宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利呼居揭干尉冶斯元束檀衣"
    "展阴昝智幸奉植衡富尧闭")
# After 小/老 only surnames that do not also start everyday words (小区, 小时, 老年, 小车,
# 小于, 老房子, 老毛病...); jieba's cut is checked as well.
_NICKNAME_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金廖贾夏韦付傅邹孟熊秦邱尹薛闫段雷侯史陶黎贺顾郝龚邵钱严覃戴"
    "莫孔汤施葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹耿焦俞祝宁舒阮柯纪梅凌裴霍涂骆靳褚娄戚岑瞿臧闵邬"
    "卞仇栾隋巫寇甄虞敖巩佘鞠冀郁高马江万")
_NOT_NICKNAMES = frozenset({"小钱", "小康"})  # one word for jieba, and no name
# Said after a surname (王阿姨, 李大爷, 陈先生) or a full name (王秀英阿姨); longest first.
_HONORIFICS = tuple(sorted((
    "阿姨", "大爷", "老伯", "大娘", "奶奶", "爷爷", "先生", "女士", "老先生", "老太太", "老太",
    "老爷子", "大妈", "大伯", "大叔", "大婶", "大哥", "大姐", "阿婆", "阿公", "阿伯", "婆婆",
    "伯伯", "叔叔", "阿叔", "姥姥", "姥爷", "外婆", "外公", "师傅", "老师", "同志",
    "小姐", "主任", "书记", "经理", "医生", "姐", "哥", "叔", "婶", "嫂"), key=len, reverse=True))
_HONORIFIC = re.compile("|".join(_HONORIFICS))
# Kin in brackets after a name: 吴建国（儿子）
_KIN = re.compile(r"[（(](?:儿子|女儿|儿媳|女婿|孙子|孙女|外孙|外孙女|老伴|丈夫|妻子|爱人|母亲|父亲"
                  r"|哥哥|姐姐|弟弟|妹妹|侄子|侄女|外甥|亲属|邻居|本人|子女)[）)]")
# Words after which a name follows; longest first so 紧急联系人 wins over 联系人.
_CUES = tuple(sorted((
    "联系人", "紧急联系人", "反映人", "来电人", "投诉人", "申请人", "当事人", "监护人", "户主",
    "业主", "市民", "居民", "家属", "儿子", "女儿", "儿媳", "女婿", "孙子", "孙女", "老伴",
    "丈夫", "妻子", "爱人", "母亲", "父亲", "老人", "姓名"), key=len, reverse=True))
_CUE = re.compile("(?:" + "|".join(_CUES) + r")(?:(?:为|是)|\s*[：:]\s*)?")
# Said right after a name: 张建华反映, 刘海燕称, 王秀英本人, 李明哥哥, 张建华的儿子
_VERB_CUE = re.compile("反映|来电|致电|投诉|求助|称|表示|本人|哥哥|姐姐|弟弟|妹妹|儿子|女儿"
                       "|的儿子|的女儿|的老伴|的爱人|家属")
# 王秀英老人; a place goes before 老人 as often (殷行老人活动中心, jieba: 殷行/nr), and a
# place's name is rarely three characters where a person's usually is
_ELDER_CUE = re.compile("老人")
# Not names though they fill a name's place: 反映人：匿名
_NOT_NAMES = frozenset({"匿名", "本人", "不详", "未知", "未留", "暂无", "同上", "市民", "热心"})
# Single characters that follow a name rather than end it: 李明在外地, 王芳说
_AFTER_NAME = frozenset("说在的和与及跟同家是称也都已曾住去来到因把被给对向为等又还就要让叫从于之"
                        "请今昨前后上下中里外每年月日岁")
_PLACE_ENDINGS = frozenset("区路街镇村乡县市省园苑里弄巷号楼栋室道港湾桥门站")
_NAME_FLAGS = ("nr", "ns")  # jieba cuts 吴建国 as 吴/nr 建国/ns, 王桂兰 as 王/nr 桂兰/ns
# jieba's tags of little words: a preposition, conjunction, particle, adverb, pronoun
_FUNCTION_FLAGS = frozenset("pcudr")
# jieba's tags for the pieces of a name it does not know (陈奕迅: 陈奕/i 迅/ad); a piece
# tagged a noun, verb or abbreviation (高龄/n 独居/v, 居委会/j) is a word, not a name
_NAME_PIECE_FLAGS = frozenset({"i", "l", "z", "nz", "ng", "ad", "ns"})
_CJK = re.compile(r"[\u4e00-\u9fff]+")

_CUE_WORD_FREQ = 100_000


def redact(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with the personal data typed into it replaced by placeholders that say what
    was there: ``[电话]``, ``[身份证号]``, ``[银行卡号]``, ``[姓名]``. For free text that
    leaves the system for someone who may not see it (a public feed, another unit's export).
    Text without any comes back unchanged; placeholders are never touched, so redacting
    twice is redacting once.

    Caught:

    - phone numbers, by phonenumbers (VALID leniency, region CN): mobiles and landlines
      with their area code in any spacing (139 1700 2288, +86 139 1700 2288,
      0086-13917002288, (021)65432100, 021-6543 2100, full-width digits); and, by a regex,
      the 8-digit local number without area code (6543 2100), which phonenumbers does not
      call valid, unless it reads as an amount or count (a unit such as 元/人/号 follows),
      a date (20261123) or a span of years (2025-2026). 400/800 business hotlines and short
      service numbers (12345, 110, 95588) are not personal and are left.
    - ID card numbers: 18 characters (last may be X) whose ISO 7064 MOD 11-2 check digit and
      birth date hold; the old 15-digit form whose birth date holds. One that fails is
      still redacted when 身份证/证件号 stands just before it (a mistyped ID is someone's
      ID); without that it is left, as it is more likely an order or account number.
    - bank cards: 16-19 digits, run together or in fours, that pass the Luhn check, or
      that follow 银行卡/卡号/账号 whatever their check digit. A number after 工单/单号/
      订单/编号/快递 is never taken for an ID or a card.
    - names, each with any honorific after it: (a) every occurrence of ``names`` (2
      characters or more; the caller, the resident, their contacts); (b) a surname with
      an honorific or kin word (王阿姨, 李大爷, 陈先生, 欧阳女士, 王秀英阿姨, 张婶) or
      小/老 before it (小王, 老李); (c) a name after a cue word, with or without a colon
      (紧急联系人：吴建国, 儿子李明, 市民张建华, 独居老人孙桂英, 姓名: 钱小红); after a
      colon any short run up to the next comma or bracket that starts with a surname and
      that jieba does not know as another word (申请人：陈奕迅, 联系人：周（侄子）, but not
      联系人：居委会); (d) a name before kin in brackets (吴建国（儿子）), before
      反映/来电/致电/称/表示/本人 (张建华反映), or a 3-character one before 老人.
      For (b)-(d) jieba's cut decides where words begin and end, so that 门卫大爷, 保安大哥,
      班主任, 小区, 老毛病, 小高层, 也和老人 are not names; and a name without a colon
      must start with a common surname and be tagged a person's name (nr) by jieba.
      jieba alone is not trusted: it tags 井盖, 洪水, 殷行, 杨浦区 as names and cuts 吴建国
      as 吴 + 建国, so no word is taken for a name only because jieba tags it nr.

    Not caught (see ``KNOWN_MISSES`` in the tests): a name with no cue around it (张建华
    家的水管爆了 is caught only if ``names`` holds it); names with rare surnames outside
    the list, foreign and ethnic minority names (阿依古丽); a 7-digit local number of a
    smaller city; numbers spelt in Chinese digits (一三九...); a phone split by words;
    e-mail addresses and other identifiers (licence plates, QQ/WeChat ids), which are not
    looked for. Taken wrongly: a place named like a nickname (老李家宅路 → [姓名]家宅路)
    and, after a colon, a common word that starts with a surname (联系人：高峰).

    The first call loads jieba's dictionary (about a second); then each text is one cut.
    """
    if not text:
        return text
    names = [n.strip() for n in names if n and len(n.strip()) >= 2]
    # numbers before names: a placeholder in place of a number ends any name before it
    for step in (_redact_long_numbers, _redact_phones, _redact_local_numbers):
        text = _outside_placeholders(text, step)
    return _outside_placeholders(text, lambda part: _redact_names(part, names))


def _outside_placeholders(text: str, step: Callable[[str], str]) -> str:
    """``step`` applied to the text between placeholders, so that none is ever changed."""
    parts = _PLACEHOLDER.split(text)
    # split with a group: the placeholders are at the odd indexes
    return "".join(part if i % 2 else step(part) for i, part in enumerate(parts))


def _replace_spans(text: str, spans: Iterable[tuple[int, int]], placeholder: str) -> str:
    """``text`` with each span (overlapping ones merged) replaced by ``placeholder``."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], placeholder]
        last = end
    out.append(text[last:])
    return "".join(out)


# Numbers ------------------------------------------------------------------------------

def _digits(number: str) -> str:
    """The ASCII digits (and a final X) of a number as typed, full-width or grouped."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else "X"
                   for ch in unicodedata.normalize("NFKC", number) if ch.isalnum()).upper()


def _is_id_number(digits: str) -> bool:
    """An 18-character ID whose check digit and birth date hold, or an old 15-digit one
    (no check digit) whose birth date holds; both start with a province code, 1-8."""
    if digits[0] not in "12345678":
        return False
    if len(digits) == 18 and digits[:17].isdigit():
        total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
        return _ID_CHECK[total % 11] == digits[17] and _is_birth_date(digits[6:14])
    if len(digits) == 15 and digits.isdigit():
        return _is_birth_date("19" + digits[6:12])
    return False


def _is_birth_date(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2099


def _passes_luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _redact_long_numbers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        digits = _digits(match.group())
        before = text[max(match.start() - _CUE_REACH, 0):match.start()]
        if any(cue in before for cue in _ORDER_CUES):
            return match.group()
        card_length = 16 <= len(digits) <= 19 and digits.isdigit()
        if len(digits) in (15, 18) and any(cue in before for cue in _ID_CUES):
            return ID_CARD
        if card_length and any(cue in before for cue in _BANK_CUES):
            return BANK_CARD
        if _is_id_number(digits):
            return ID_CARD
        if card_length and _passes_luhn(digits):
            return BANK_CARD
        return match.group()

    return _LONG_NUMBER.sub(replace, text)


def _redact_phones(text: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(
        text, "CN", leniency=phonenumbers.Leniency.VALID)
        if phonenumbers.number_type(m.number) not in _BUSINESS_NUMBER_TYPES]
    return _replace_spans(text, spans, PHONE) if spans else text


def _redact_local_numbers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        first, gap, last = match.groups()
        after = text[match.end():match.end() + 1]
        if after and after in _UNITS:
            return match.group()
        head, tail = _digits(first), _digits(last)
        if not gap and _is_birth_date(head + tail):  # a date run together: 20261123
            return match.group()
        if gap and _is_year(head) and _is_year(tail):  # 2025-2026
            return match.group()
        return PHONE

    return _LOCAL_NUMBER.sub(replace, text)


def _is_year(digits: str) -> bool:
    return 1900 <= int(digits) <= 2099


# Names --------------------------------------------------------------------------------

def _pos() -> Any:
    """jieba's part-of-speech cutter (segmentation.py) with the cue words whole, so that
    来电人周女士 is not cut 来电/人周/女士."""
    return segmentation.pos_tokenizer(tuple(
        (word, _CUE_WORD_FREQ, "n")
        for word in (*_CUES, *(h for h in _HONORIFICS if len(h) > 1))))


class _Cut:
    """One text as jieba cuts it: each word with its tag and where it starts and ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words: list[tuple[str, str, int, int]] = []
        at = 0
        for pair in _pos().cut(text, HMM=True):
            self.words.append((pair.word, pair.flag, at, at + len(pair.word)))
            at += len(pair.word)
        self.starting = {w[2]: i for i, w in enumerate(self.words)}
        self.ending = {w[3]: i for i, w in enumerate(self.words)}
        self.covering = {pos: i for i, w in enumerate(self.words) for pos in range(w[2], w[3])}

    def word_at(self, pos: int) -> tuple[str, str, int, int] | None:
        i = self.covering.get(pos)
        return self.words[i] if i is not None else None

    def name_from(self, pos: int, after_colon: bool) -> tuple[int, int] | None:
        """The span of a name that starts at ``pos`` (just after a cue word), if any."""
        i = self.starting.get(pos)
        if i is None:
            return None
        word, flag, start, end = self.words[i]
        if word in _NOT_NAMES or not _CJK.fullmatch(word):
            return None
        if after_colon:
            # the slot after 联系人： holds a name: a short run of Chinese up to the next
            # comma or bracket that starts with a surname is one (周, 陈奕迅: cut 陈奕/i 迅),
            # unless jieba knows a word in it as some other word (居委会, 高龄独居)
            run = _CJK.match(self.text, pos)
            if run and len(run.group()) <= 4 and _surname_of(run.group()) \
                    and run.group() not in _NOT_NAMES \
                    and run.group()[-1] not in _PLACE_ENDINGS \
                    and all(len(piece) == 1 or piece_flag.startswith("nr")
                            or piece_flag in _NAME_PIECE_FLAGS
                            for piece, piece_flag, _, piece_end in self.words[i:]
                            if piece_end <= run.end()):
                return run.span()
        if _surname_of(word) == word and i + 1 < len(self.words):
            # a surname on its own, the given name next: 吴/nr 建国/ns
            given, given_flag, _, given_end = self.words[i + 1]
            if (1 <= len(given) <= 2 and _CJK.fullmatch(given) and given not in _NOT_NAMES
                    and (given_flag.startswith(_NAME_FLAGS) or after_colon
                         # after a colon anything but a little word, verb or number
                         and given_flag[0] not in "vpdcumrx")):
                return start, given_end
            return None
        if _looks_like_full_name(word, flag):
            if len(word) == 2 and i + 1 < len(self.words):
                # jieba cuts an unknown 3-character name short (王德/nr 发/v): a single
                # character after it that does not start a sentence's next part is its end
                last = self.words[i + 1][0]
                if len(last) == 1 and _CJK.fullmatch(last) and last not in _AFTER_NAME:
                    return start, end + 1
            return start, end
        return None

    def name_before(self, pos: int, shortest: int = 2) -> tuple[int, int] | None:
        """The span of a name, ``shortest`` characters or more, that ends at ``pos`` (just
        before 反映 or （儿子）), if any."""
        i = self.ending.get(pos)
        if i is None:
            return None
        word, flag, start, end = self.words[i]
        # the surname a word of its own first: 刘/zg 海燕/nr is one name, not 刘 + 海燕
        if i > 0 and 1 <= len(word) <= 2 and flag.startswith(_NAME_FLAGS) \
                and _CJK.fullmatch(word):
            surname, _, surname_start, _ = self.words[i - 1]
            if _surname_of(surname) == surname and end - surname_start >= shortest:
                return surname_start, end
        if _looks_like_full_name(word, flag) and len(word) >= shortest:
            return start, end
        return None


def _surname_of(word: str) -> str | None:
    """The surname that ``word`` starts with, compound ones first."""
    if word[:2] in _COMPOUND_SURNAMES:
        return word[:2]
    return word[0] if word[:1] in _SURNAMES else None


def _looks_like_full_name(word: str, flag: str) -> bool:
    """A whole jieba word that is a person's name: tagged nr, 2-4 Chinese characters, a
    surname first and not a place's ending (jieba tags 杨浦区 nr)."""
    return (flag.startswith("nr") and 2 <= len(word) <= 4 and bool(_CJK.fullmatch(word))
            and _surname_of(word) is not None and word[-1] not in _PLACE_ENDINGS
            and word not in _NOT_NAMES)


def _redact_names(text: str, names: list[str]) -> str:
    if not text:
        return text
    spans: list[tuple[int, int]] = []
    # (a) the names the caller knows, longest first so 吴建国 is not left as [姓名]国
    taken = [False] * len(text)
    for name in sorted(set(names), key=len, reverse=True):
        for match in re.finditer(re.escape(name), text):
            if not any(taken[match.start():match.end()]):
                spans.append(match.span())
                taken[match.start():match.end()] = [True] * len(name)
    if _CJK.search(text):
        cut = _Cut(text)
        spans += _honorific_names(text, cut)
        spans += _nicknames(text, cut)
        spans += _cued_names(text, cut)
    spans = [_with_honorific(text, span) for span in spans]
    return _replace_spans(text, spans, NAME) if spans else text


def _with_honorific(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The span with an honorific right after it: 王秀英阿姨 is one [姓名]. Not a single
    character one: 李明哥哥 would leave [姓名]哥."""
    match = _HONORIFIC.match(text, span[1])
    return (span[0], match.end()) if match and len(match.group()) > 1 else span


def _honorific_names(text: str, cut: _Cut) -> list[tuple[int, int]]:
    """王阿姨, 欧阳女士, 王秀英阿姨: a surname, perhaps a given name, then an honorific."""
    spans = []
    for match in _HONORIFIC.finditer(text):
        h_start = match.start()
        for given in (2, 1, 0):  # the full name first
            for surname_length in (2, 1):
                start = h_start - given - surname_length
                if start < 0:
                    continue
                surname = text[start:start + surname_length]
                if (surname not in _COMPOUND_SURNAMES if surname_length == 2
                        else surname not in _SURNAMES):
                    continue
                if _is_honorific_name(cut, start, start + surname_length, h_start,
                                      match.end()):
                    spans.append((start, match.end()))
                    break
            else:
                continue
            break
    return spans


def _is_honorific_name(cut: _Cut, start: int, given_start: int, h_start: int,
                       h_end: int) -> bool:
    """Whether jieba's cut agrees: the surname starts a word (not 门卫大爷, 保安大哥), a
    word running on over the honorific is a name (吴大娘/nr, 张婶和/nr; not 班主任/n), the
    honorific starts a word (not 首先生活), and a given name between is tagged a name."""
    word = cut.word_at(start)
    if word is None or word[2] != start or word[1][:1] in _FUNCTION_FLAGS:
        return False  # 向/p 王/nr 阿姨 is 向 + 王阿姨
    if word[3] > h_start:  # one word over the honorific, or into it
        return word[3] >= h_end and word[1].startswith("nr")
    honorific = cut.word_at(h_start)
    if honorific is None or honorific[2] != h_start:
        return False
    if h_end - h_start == 1 and honorific[3] != h_end:  # 哥 of 李明哥哥 is no honorific
        return False
    if given_start == h_start:
        return word[3] == h_start  # the surname a word of its own: 王/nr 阿姨
    # the given name: whole words, each tagged a name (王/nr 秀英/nr 阿姨)
    at = start
    while at < h_start:
        part = cut.word_at(at)
        if part is None or part[3] > h_start or (
                at > start and not part[1].startswith(_NAME_FLAGS)):
            return False
        if at == start and part[3] > given_start and not part[1].startswith("nr"):
            return False
        at = part[3]
    return True


def _nicknames(text: str, cut: _Cut) -> list[tuple[int, int]]:
    """小王, 老李: a word of its own (老王/nr), or 小/老 then the surname alone (小/a 李/nr)
    or the surname's household (老/a 张家/nrfg); not 老毛病, 小高层, 小于, 小区."""
    spans = []
    for match in re.finditer("[小老]", text):
        start = match.start()
        surname = text[start + 1:start + 2]
        if surname not in _NICKNAME_SURNAMES:
            continue
        first = cut.word_at(start)
        if first is None or first[2] != start:
            continue
        if first[0] == text[start:start + 2]:
            if first[0] not in _NOT_NICKNAMES:
                spans.append((start, start + 2))
            continue
        second = cut.word_at(start + 1)
        if first[3] == start + 1 and second is not None and second[2] == start + 1 \
                and (len(second[0]) == 1 or second[0] == surname + "家"):
            spans.append((start, start + 2))
    return spans


def _cued_names(text: str, cut: _Cut) -> list[tuple[int, int]]:
    """A name after a cue word (紧急联系人：吴建国, 儿子李明), before kin in brackets
    (吴建国（儿子）), or before what a caller does (张建华反映)."""
    spans = []
    for match in _CUE.finditer(text):
        cue_word = cut.word_at(match.start())
        if cue_word is None or cue_word[2] != match.start():  # 居民区 is no 居民
            continue
        after_colon = any(ch in "：:" for ch in text[match.start():match.end()])
        span = cut.name_from(match.end(), after_colon)
        if span:
            spans.append(span)
    for match in _KIN.finditer(text):
        # a surname alone, between a comma and the kin: 黄志明（外甥）、周（侄子）
        start = match.start() - 1
        if start >= 0 and text[start] in _SURNAMES and (
                start == 0 or not _CJK.match(text[start - 1])):
            spans.append((start, match.start()))
    for pattern, shortest in ((_KIN, 2), (_VERB_CUE, 2), (_ELDER_CUE, 3)):
        for match in pattern.finditer(text):
            span = cut.name_before(match.start(), shortest)
            if span:
                spans.append(span)
    return spans
