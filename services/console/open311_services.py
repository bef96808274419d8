"""Our categories as Open311 services, and the attributes every one of them takes (its
service definition): the address levels below what ``address_string`` says, and the kind
of request. Plain data, rendered in JSON or XML by open311_format."""
from __future__ import annotations

from services.shared.schemas import CATEGORIES, KINDS, PLACE_LEVELS
from services.shared.words import CATEGORY_WORDS, KIND_WORDS

# category: (description, keywords, group), the name being the category's Chinese word
SERVICES = {
    "home_repair": ("老人家中的小修小补: 扶手、门锁、水电等", "维修,扶手,水电,门窗", "居家养老"),
    "street_light": ("路灯、楼道灯不亮或损坏", "路灯,楼道灯,照明", "市政设施"),
    "building_safety": ("外墙、阳台、楼道等房屋安全隐患", "外墙,脱落,裂缝,危房", "房屋与物业"),
    "elevator": ("电梯故障、困人、加装电梯", "电梯,困人,故障", "房屋与物业"),
    "veteran_services": ("优待证、走访慰问等退役军人事务", "退役军人,优待证", "社区服务"),
    "elderly_meals": ("老年助餐点、送餐上门", "助餐,送餐,食堂", "居家养老"),
    "errands": ("代买药品和生活物资、代办事务", "代购,买药,跑腿", "居家养老"),
    "welfare_check": ("独居、空巢老人上门探访", "独居,空巢,探访,关爱", "居家养老"),
    "sanitation": ("垃圾、污水、卫生死角", "垃圾,卫生,污水", "市政设施"),
    "parking": ("停车难、占道停车", "停车,占道", "市政设施"),
    "other": ("以上都不是的诉求", "", "其他"),
}
assert set(SERVICES) == set(CATEGORIES), "every category is a service"

# The kinds a citizen's app may file: a praise call names a ticket or unit, which the
# standard has no field for.
POSTED_KINDS = tuple(kind for kind in KINDS if kind != "praise")
DEFAULT_KIND = "help"
PLACE_WORDS = {"district": "区", "subdistrict": "街道(镇)", "community": "社区(居民区、村)",
               "estate": "小区", "building": "楼号"}


def service_name(code: str) -> str:
    return CATEGORY_WORDS.get(code, code)


def service_list() -> list[dict]:
    """GET services: every category, each with a definition (metadata true)."""
    return [{"service_code": code, "service_name": service_name(code),
             "description": description, "metadata": True, "type": "realtime",
             "keywords": keywords, "group": group}
            for code, (description, keywords, group) in SERVICES.items()]


def attributes(default_district: str) -> list[dict]:
    """The attributes every service takes, posted as ``attribute[code]``: the address
    levels (free text; a place of the directory is matched by name) and the kind."""
    places: list[dict] = [{"variable": True, "code": level, "datatype": "string", "required": False,
               "datatype_description": (f"缺省为 {default_district}" if level == "district"
                                        else None),
               "order": order, "description": f"所在{PLACE_WORDS[level]}", "values": []}
              for order, level in enumerate(PLACE_LEVELS, start=1)]
    kind = {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
            "datatype_description": f"缺省为 {DEFAULT_KIND} ({KIND_WORDS[DEFAULT_KIND]})",
            "order": len(places) + 1, "description": "诉求类型",
            "values": [{"key": key, "name": KIND_WORDS[key]} for key in POSTED_KINDS]}
    return [*places, kind]


def service_definition(code: str, default_district: str) -> dict:
    """GET services/{code}: the service's attributes (KeyError for an unknown code)."""
    if code not in SERVICES:
        raise KeyError(code)
    return {"service_code": code, "attributes": attributes(default_district)}
