"""Seed the questionnaires (Chinese, with English) and the Pulte touch-point waves (DOMAIN.md §1, §5)."""

from django.db import migrations

YES_NO = "yes_no"

OVERALL = ("overall", 1, "rating", "overall", "overall",
           "总体而言,您对我们的房子和服务满意吗?", "Overall, how satisfied are you with your home and our service?")
RECOMMEND = ("recommend", 8, "recommend", "overall", "recommend",
             "您有多大可能向亲友推荐我们的楼盘?(0 表示完全不可能,10 表示非常可能)",
             "How likely are you to recommend our homes to friends and family? (0 = not at all, 10 = extremely likely)")
REPURCHASE = ("repurchase", 9, YES_NO, "overall", "repurchase",
              "如果再次购房,您会继续选择我们吗?", "If you bought a home again, would you choose us again?")
COMMENT = ("comment", 12, "text", "overall", "", "您还有什么意见或建议?", "Anything else you would like to tell us?")

TEMPLATES = {
    "owner-standard": {
        "name": "业主满意度调查", "name_en": "Owner satisfaction survey",
        "intro": "感谢您选择我们的社区。以下问题约需三分钟,您的意见将直接用于改进工程质量和服务。",
        "questions": [
            OVERALL,
            ("quality", 2, "rating", "construction_quality", "",
             "您对房屋的工程质量(渗漏、裂缝、观感)满意吗?", "How satisfied are you with the build quality (leaks, cracks, finish)?"),
            ("design", 3, "rating", "design", "",
             "您对户型、采光和社区规划设计满意吗?", "How satisfied are you with the layout, daylight and site planning?"),
            ("sales", 4, "rating", "sales", "",
             "您对销售时的介绍和承诺兑现情况满意吗?", "How satisfied are you that what sales told you was delivered?"),
            ("property", 5, "rating", "property", "",
             "您对物业管理服务满意吗?", "How satisfied are you with property management?"),
            ("service", 6, "rating", "service", "",
             "您对报修和投诉处理的及时性满意吗?", "How satisfied are you with how quickly repairs and complaints are handled?"),
            ("issues", 7, "multiple", "construction_quality", "",
             "入住以来,您遇到过以下哪些问题?(可多选)", "Which of these problems have you had since moving in? (choose any)"),
            RECOMMEND,
            REPURCHASE,
            ("contact", 10, "single", "service", "",
             "您最希望我们通过哪种方式与您联系?", "How would you prefer us to contact you?"),
            COMMENT,
        ],
    },
    "touchpoint-visit": {
        "name": "接待与参观满意度调查", "name_en": "Reception and site-visit survey",
        "intro": "感谢您参加我们的接待与参观活动,请告诉我们您的感受。",
        "questions": [
            OVERALL,
            ("sales", 2, "rating", "sales", "",
             "您对接待人员的专业和诚信满意吗?", "How satisfied are you with our staff's knowledge and honesty?"),
            ("quality", 3, "rating", "construction_quality", "",
             "您对所看到的施工质量满意吗?", "How satisfied are you with the construction quality you saw?"),
            ("design", 4, "rating", "design", "",
             "您对户型和社区设计满意吗?", "How satisfied are you with the unit and community design?"),
            RECOMMEND,
            REPURCHASE,
            COMMENT,
        ],
    },
    "complaint-revisit": {
        "name": "投诉处理回访调查", "name_en": "Complaint follow-up survey",
        "intro": "您反映的问题已处理完毕,请评价我们的处理过程和结果。",
        "questions": [
            ("overall", 1, "rating", "overall", "overall",
             "您对本次投诉的处理结果满意吗?", "How satisfied are you with how your complaint was resolved?"),
            ("service", 2, "rating", "service", "",
             "您对处理的及时性和沟通满意吗?", "How satisfied are you with the speed and communication?"),
            RECOMMEND,
            REPURCHASE,
            COMMENT,
        ],
    },
}

CHOICES = {
    "issues": [
        {"value": "leak", "name": "渗漏", "name_en": "Leaks"},
        {"value": "crack", "name": "墙面裂缝", "name_en": "Wall cracks"},
        {"value": "noise", "name": "噪音", "name_en": "Noise"},
        {"value": "window", "name": "门窗问题", "name_en": "Doors and windows"},
        {"value": "public", "name": "公共设施", "name_en": "Shared facilities"},
        {"value": "none", "name": "以上都没有", "name_en": "None of these"},
    ],
    "contact": [
        {"value": "phone", "name": "电话", "name_en": "Phone"},
        {"value": "sms", "name": "短信", "name_en": "SMS"},
        {"value": "wechat", "name": "微信", "name_en": "WeChat"},
        {"value": "visit", "name": "上门拜访", "name_en": "Home visit"},
    ],
}

OPTIONAL = {"issues", "contact", "comment"}

# code, name, name_en, template, trigger, months, days, window, channel, interval, max, cooldown, order
WAVES = [
    ("handover-3m", "交付3个月质量回访", "Quality check 3 months after handover", "owner-standard", "handover", 3, 0, 30, "email", 7, 2, 60, 10),
    ("handover-11m", "交付11个月质量回访", "Quality check 11 months after handover", "owner-standard", "handover", 11, 0, 30, "email", 7, 2, 60, 20),
    ("handover-23m", "交付23个月质量回访", "Quality check 23 months after handover", "owner-standard", "handover", 23, 0, 30, "email", 7, 2, 60, 30),
    ("handover-35m", "交付35个月质量回访", "Quality check 35 months after handover", "owner-standard", "handover", 35, 0, 30, "email", 7, 2, 60, 40),
    ("presale-reception", "售前客户接待回访", "Pre-sale reception survey", "touchpoint-visit", "presale_reception", 0, 1, 14, "sms", 3, 1, 30, 1),
    ("frame-visit", "框架落成参观回访", "Frame-completion visit survey", "touchpoint-visit", "frame_visit", 0, 1, 14, "sms", 3, 1, 30, 2),
    ("finished-visit", "成品参观回访", "Finished-home visit survey", "touchpoint-visit", "finished_visit", 0, 1, 14, "sms", 3, 1, 30, 3),
    ("complaint-closed", "投诉关闭回访", "Survey after a complaint is closed", "complaint-revisit", "complaint_closed", 0, 2, 14, "sms", 3, 1, 14, 50),
]


def seed(apps, schema_editor):
    SurveyTemplate = apps.get_model("satisfaction", "SurveyTemplate")
    Question = apps.get_model("satisfaction", "Question")
    Wave = apps.get_model("satisfaction", "Wave")
    templates = {}
    for code, spec in TEMPLATES.items():
        template, _ = SurveyTemplate.objects.get_or_create(
            code=code, version=1, defaults={"name": spec["name"], "name_en": spec["name_en"], "intro": spec["intro"]}
        )
        templates[code] = template
        for key, order, kind, dimension, metric, text, text_en in spec["questions"]:
            Question.objects.get_or_create(
                template=template, key=key,
                defaults={"order": order, "kind": kind, "dimension": dimension, "metric": metric, "text": text,
                          "text_en": text_en, "choices": CHOICES.get(key, []), "required": key not in OPTIONAL},
            )
    for code, name, name_en, tpl, trigger, months, days, window, channel, interval, cap, cooldown, order in WAVES:
        Wave.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "template": templates[tpl], "trigger": trigger, "offset_months": months,
                      "offset_days": days, "window_days": window, "channel": channel, "reminder_interval_days": interval,
                      "reminder_max": cap, "cooldown_days": cooldown, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("satisfaction", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
