"""The vocabulary's Chinese words, as people read them in the console, the CLI, the ledger's
summaries and the Excel workbooks: one place, so every screen and sheet says the same."""
from __future__ import annotations

KIND_WORDS = {"consult": "咨询", "help": "求助", "complaint": "投诉", "report": "举报",
              "suggestion": "建议", "praise": "表扬"}
CATEGORY_WORDS = {
    "home_repair": "居家维修", "street_light": "路灯", "building_safety": "房屋安全",
    "elevator": "电梯", "veteran_services": "退役军人服务", "elderly_meals": "老年助餐",
    "errands": "代办跑腿", "welfare_check": "探访关爱", "sanitation": "环境卫生",
    "parking": "停车", "other": "其他",
}
CHANNEL_WORDS = {"hotline": "12345热线", "wechat": "微信", "app": "移动端", "web": "网站",
                 "walk_in": "窗口来访", "checkin": "定时探访"}
URGENCY_WORDS = {"normal": "一般", "urgent": "紧急"}
DEADLINE_WORDS = {"accept": "签收", "contact": "联系", "resolve": "办结"}
OUTCOME_WORDS = {"satisfied": "满意", "basically_satisfied": "基本满意",
                 "unsatisfied": "不满意", "unreachable": "联系不上", "answered": "已直接答复"}
STATE_WORDS = {"pending": "待派单", "dispatched": "待签收", "accepted": "已签收",
               "contacted": "已联系", "resolved": "已办结", "closed": "已结案",
               "received": "已受理", "answered": "已直接答复", "praise": "表扬"}
ROLE_WORDS = {"agent": "话务员", "dispatcher": "派单员", "unit_staff": "承办单位人员",
              "supervisor": "督办员", "admin": "管理员"}
LIVING_STATUS_WORDS = {"alone": "独居", "empty_nest": "空巢", "with_family": "与家人同住"}
