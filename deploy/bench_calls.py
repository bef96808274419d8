"""The calls the bench makes: a hotline call unlike the others, to a place the directory
routes (deploy/directory.yml), as the call centre's software sends it to
``intake.create_ticket``. The bench's load, the fault drill and the stored history
(deploy/history.py) all make their tickets from these."""
from __future__ import annotations

import random

PHRASES = ["路灯不亮", "楼道积水", "电梯停运", "垃圾没人清", "噪音扰民", "下水道堵塞", "车辆乱停",
           "外墙脱落", "树枝挡窗", "门禁坏了", "井盖松动", "水管漏水", "暖气不热", "违章搭建",
           "油烟扰民", "野狗伤人", "路面塌陷", "广告牌松动", "停车收费", "楼顶渗水"]
NOISE = "东南西北上下左右前后红黄蓝绿白黑大小多少新旧高低远近早晚春夏秋冬金木水火土"
PLACES = [
    ({"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
      "estate": "开鲁新村"}, ["street_light", "elevator", "parking", "home_repair"]),
    ({"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
      "estate": "国和小区"}, ["street_light", "sanitation", "building_safety"]),
    ({"district": "普陀区", "subdistrict": "桃浦镇", "community": "华和民祥园居民区",
      "estate": "华和民祥园"}, ["home_repair", "elevator", "sanitation"]),
]


# A subdistrict's calls come from dozens of estates (殷行街道 has about fifty), and intake
# compares each call with the open tickets of its category at its estate: sending every
# call to the three named estates made each compare with hundreds, which no district sees.
# The subdistrict's rules route any of its estates. `--estates 0` keeps the three alone.
YINHANG_ESTATES = [f"{street}{number}村" for street in ("开鲁", "国和", "殷行", "民星", "工农")
                   for number in "一二三四五六七八"]
SPREAD = {"estates": len(YINHANG_ESTATES)}


def ticket_request(chance: random.Random) -> dict:
    """A call unlike the others (rarely a repeat to merge), to a place the directory routes:
    one of PLACES, or in 殷行街道 one of SPREAD["estates"] estates more."""
    spread = YINHANG_ESTATES[:SPREAD["estates"]]
    # the one estate of 桃浦镇 a tenth of the calls once the subdistrict's are spread
    address, categories = chance.choices(PLACES, weights=(45, 45, 10) if spread else None)[0]
    if address["subdistrict"] == "殷行街道" and spread and chance.random() < 0.9:
        address = {**address, "estate": chance.choice(spread)}
    words = "，".join(chance.sample(PHRASES, 3)) + "，" + "".join(
        chance.choice(NOISE) for _ in range(12))
    return {"channel": "hotline", "kind": "complaint", "category": chance.choice(categories),
            "caller": {"name": "市民", "phone": f"139{chance.randrange(10**8):08d}"},
            "description": f"{words}，第{chance.randrange(10**6)}次反映", "address": address}
