"""The seed's worked example (反馈篇, 缺陷编号 SJ01), as data the tests and the demo share."""

from datetime import date

PROJECT = {"code": "WK-CITY", "name": "万科城", "city": "深圳", "stage": "post_delivery"}
NEW_PROJECT = {"code": "SZ-NEW", "name": "深圳湾新项目", "city": "深圳", "stage": "design"}
TITLE = "比华利山TA户型屋面天窗渗水"
DESCRIPTION = "比华利山TA户型屋面天窗上盖进水；天窗低框与反槛不密实；门框倒置安装。"
CAUSES = "天窗盖与框不密实；门扇与门框密封不严；天窗反槛与斜面结构板不密实；门框倒置安装。"
UNIT_TYPES = "比华利山TA户型"
HOUSEHOLDS = 56
FOUND_ON = date(2006, 5, 8)
MEASURES = "拆除木质天窗，更换为铝合金天窗；重做天窗反槛与斜面结构板节点并做闭水试验；门框按正确方向重新安装。"
PREVENTION = (
    "1、天窗应避免用木材；节点构造应按工程标准设计；如果从未做过节点设计的工序，可让项目部找专业公司设计。"
    "节点设计会议决议报工程管理部。\n"
    "2、除非是装饰用的花架类，室外有功能性要求的空间部品（例如屋顶天窗、户外门等）尽量避免用天然木材。"
    "如特别需求需采用木材的，需报总审批。"
)
TAGS = [("element", "天窗", "Skylight"), ("material", "木材", "Timber"), ("trade", "防水", "Waterproofing"),
        ("unit_type", "TA户型", "TA unit")]
