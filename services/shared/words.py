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
# why a ticket is answered first (intake's priority_reasons)
PRIORITY_REASON_WORDS = {"urgent": "紧急", "welfare_check": "探访关爱",
                         "registered_resident": "一号专线: 台账在册居民"}
# The register of vulnerable residents (台账)
LIVING_STATUS_WORDS = {"alone": "独居", "empty_nest": "空巢", "with_family": "与家人同住"}
# a resident's history (register_changed says the first three)
REGISTER_CHANGE_WORDS = {"added": "登记", "changed": "修改", "retired": "注销",
                         "checkins_paused": "暂停探访", "checkins_resumed": "恢复探访"}
RESIDENT_FIELD_WORDS = {
    "name": "姓名", "phones": "联系电话", "address": "地址", "birth_date": "出生日期",
    "living_status": "居住状态", "groups": "人员类别", "health_notes": "健康状况",
    "hobbies": "兴趣爱好", "emergency_contacts": "紧急联系人", "grid_unit_id": "所属网格",
    "grid_worker": "网格员", "checkin_plan": "探访计划", "consent_notes": "同意情况"}
IMPORT_ACTION_WORDS = {"add": "新增", "change": "修改", "unchanged": "无变化",
                       "refused": "不予导入", "skipped": "跳过"}
CHECKIN_RESULT_WORDS = {"answered": "已接听", "missed": "未接通", "cancelled": "已取消",
                        None: "待拨打"}
STATE_WORDS = {"pending": "待派单", "dispatched": "待签收", "accepted": "已签收",
               "contacted": "已联系", "resolved": "已办结", "closed": "已结案",
               "received": "已受理", "answered": "已直接答复", "praise": "表扬"}
ROLE_WORDS = {"agent": "话务员", "dispatcher": "派单员", "unit_staff": "承办单位人员",
              "supervisor": "督办员", "admin": "管理员",
              "call_centre": "话务系统(程序)", "callback_worker": "自动回访(程序)"}
# why console sessions ended (session_ended's reason)
SESSION_END_WORDS = {"logout": "退出登录", "ended": "被结束", "deactivated": "账号已停用",
                     "password_changed": "密码已修改", "role_changed": "角色已变更",
                     "unit_changed": "所属单位已变更",
                     "district_changed": "服务区县已变更", "account_changed": "账号已变更",
                     "idle": "长时间未操作", "expired": "超过最长登录时间"}
# how the indicators are grouped, and over what time
GROUP_WORDS = {"unit": "承办单位", "subdistrict": "街道", "category": "类别", "assignee": "承办人"}
INTERVAL_WORDS = {"day": "日期", "week": "周(自周一)"}
FIGURE_WORDS = {  # the indicators' names, as columns and charts head them
    "received": "受理量",
    "accepted": "签收数",
    "accepted_on_time": "按时签收数",
    "accepted_late": "超时签收数",
    "accepted_on_time_rate": "按时签收率",
    "contacted": "联系数",
    "contacted_on_time": "按时联系数",
    "contacted_late": "超时联系数",
    "contacted_on_time_rate": "按时联系率",
    "resolved": "办结数",
    "resolved_on_time": "按时办结数",
    "resolved_late": "超时办结数",
    "resolved_on_time_rate": "按时办结率",
    "callbacks_reached": "回访接通数",
    "satisfied": "满意数",
    "basically_satisfied": "基本满意数",
    "unsatisfied": "不满意数",
    "unreachable": "回访联系不上数",
    "satisfaction_rate": "满意率",
    "reopened": "重办数",
    "reopen_rate": "重办率",
    "resolve_hours_median": "办结用时中位数(小时)",
    "resolve_hours_p90": "办结用时90%分位(小时)",
    "merged": "重复件并入数",
    "praise": "表扬数",
    "closed_satisfied": "满意结案数",
}

# How a resident's card was read (register.card_views' ``via``; "ticket <number>": the card
# on a ticket dispatch showed)
CARD_VIEW_WORDS = {"card": "查看卡片", "phone_lookup": "来电查号", "export": "导出台账",
                   "ticket": "工单上的台账信息"}
# The services, as the supervision page names them beside their parking queues.
SERVICE_WORDS = {"intake": "受理", "dispatch": "派单", "callback": "回访", "ledger": "记录",
                 "register": "台账", "accounts": "账号"}
