"""Text content for synthetic documents: words, names, labels, numbers, in English and Chinese.

Everything is drawn from a caller's `random.Random`, so content is a pure function of the
sample's seed. Pools are small on purpose; variety comes from combination.
"""

from __future__ import annotations

import random

WORDS_EN = (
    "system data model analysis result method process value report project market growth "
    "design policy energy network service quality customer review budget period revenue cost "
    "annual quarter region office support program research team sample signal storage power "
    "output input level rate index account balance order supply demand strategy update change "
    "measure target impact risk control safety training health transport water climate urban "
    "public private digital local global mobile series factor figure table section source "
    "structure pattern feature layer memory engine sensor camera display vision audio speech "
    "language document page chart field record label metric average total increase decrease "
    "stable early late major minor higher lower recent current previous final initial"
).split()

TOPICS_EN = (
    "Introduction Background Overview Methods Results Discussion Conclusion Findings Outlook "
    "Operations Finance Governance Infrastructure Evaluation Deployment Procurement Logistics "
    "Maintenance Compliance Forecast Summary Appendix Recommendations Limitations Experiments"
).split()

COMPANY_A = "Acme Northwind Contoso Fabrikam Globex Initech Umbrella Stark Wayne Vandelay Hooli Tyrell".split()
COMPANY_B = "Systems Industries Labs Logistics Analytics Holdings Partners Foods Energy Robotics".split()
FIRST = "Alice Bruno Chen Dana Elif Farid Grace Hiro Ines Jonas Kavya Liam Mira Noah Olga Priya".split()
LAST = "Anders Baker Costa Dubois Evans Fischer Garcia Haas Ito Jensen Kim Lopez Moreau Novak".split()
CITIES = "Lisbon Oslo Austin Lyon Osaka Cairo Quito Perth Turin Leeds Denver Porto Busan Graz".split()
STREETS = "Maple Cedar Harbor Station Mill Park River Church Market Elm Hill Lake".split()
PRODUCTS = (
    "Widget Bracket Sensor Cable Adapter Valve Filter Module Panel Bearing Gasket Switch "
    "Router License Battery Charger Fan Lens Mount Relay"
).split()
PRODUCT_ADJ = "Steel Compact Premium Basic Industrial Wireless Modular Heavy Smart Mini".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

WORDS_ZH = (
    "系统 数据 模型 分析 结果 方法 过程 报告 项目 市场 增长 设计 政策 能源 网络 服务 质量 客户 "
    "预算 收入 成本 年度 季度 地区 办公 支持 计划 研究 团队 样本 信号 存储 电力 输出 输入 水平 "
    "指数 账户 余额 订单 供应 需求 战略 更新 变化 目标 影响 风险 控制 安全 培训 健康 交通 城市 "
    "公共 数字 全球 移动 结构 特征 内存 传感器 显示 视觉 语音 语言 文档 页面 图表 记录 平均 总计"
).split()
TOPICS_ZH = "引言 背景 概述 方法 结果 讨论 结论 发现 展望 运营 财务 治理 评估 部署 采购 物流 维护 预测 摘要 附录".split()
NAMES_ZH = "王伟 李娜 张敏 刘洋 陈静 杨帆 赵磊 黄丽 周杰 吴芳 徐强 孙悦".split()
CITIES_ZH = "北京 上海 广州 深圳 杭州 成都 武汉 南京 西安 重庆".split()
COMPANIES_ZH = "华光科技 东方物流 长城能源 星海数据 明德实业 远航机械 青松食品 天元网络".split()
PRODUCTS_ZH = "传感器 电缆 适配器 阀门 滤芯 模块 面板 轴承 开关 电池 风扇 镜头".split()

LABELS = {
    "en": {
        "invoice": "INVOICE", "invoice_no": "Invoice No.", "date": "Date", "due": "Due Date",
        "customer": "Customer", "po": "PO Number", "description": "Description", "qty": "Qty",
        "unit": "Unit Price", "amount": "Amount", "subtotal": "Subtotal", "tax": "Tax", "total": "Total",
        "page": "Page {n} of {m}", "figure": "Figure {n}", "table": "Table {n}", "abstract": "Abstract",
        "form_fields": ["Full Name", "Date of Birth", "Street Address", "City", "Phone", "Email",
                        "Employee ID", "Department", "Start Date", "Account Number", "Signature Date"],
        "row": "Item", "units": "units",
    },
    "zh": {
        "invoice": "发票", "invoice_no": "发票号码", "date": "开票日期", "due": "付款期限",
        "customer": "客户名称", "po": "订单编号", "description": "项目名称", "qty": "数量",
        "unit": "单价", "amount": "金额", "subtotal": "小计", "tax": "税额", "total": "合计",
        "page": "第{n}页 共{m}页", "figure": "图{n}", "table": "表{n}", "abstract": "摘要",
        "form_fields": ["姓名", "出生日期", "联系地址", "所在城市", "联系电话", "电子邮箱",
                        "员工编号", "所属部门", "入职日期", "银行账号", "签署日期"],
        "row": "项目", "units": "件",
    },
}


class Content:
    """Draws text of one language from one random stream."""

    def __init__(self, rng: random.Random, language: str):
        self.rng = rng
        self.lang = language
        self.labels = LABELS[language]
        self._used: set[str] = set()

    def unique(self, make) -> str:
        """Call `make()` until it returns a string not returned before in this document."""
        for _ in range(50):
            text = make()
            if text not in self._used:
                self._used.add(text)
                return text
        text = f"{make()} {len(self._used)}"
        self._used.add(text)
        return text

    def words(self, n: int) -> str:
        pool = WORDS_ZH if self.lang == "zh" else WORDS_EN
        sep = "" if self.lang == "zh" else " "
        return sep.join(self.rng.choice(pool) for _ in range(n))

    def sentence(self, lo: int = 6, hi: int = 14) -> str:
        text = self.words(self.rng.randint(lo, hi))
        return text + "。" if self.lang == "zh" else text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: tuple[int, int] = (2, 5)) -> str:
        sep = "" if self.lang == "zh" else " "
        return sep.join(self.sentence() for _ in range(self.rng.randint(*sentences)))

    def heading(self) -> str:
        if self.lang == "zh":
            return self.unique(lambda: self.rng.choice(TOPICS_ZH) + self.rng.choice(WORDS_ZH))
        return self.unique(lambda: f"{self.rng.choice(TOPICS_EN)} of {self.rng.choice(WORDS_EN).title()} "
                           f"{self.rng.choice(WORDS_EN).title()}")

    def title(self) -> str:
        if self.lang == "zh":
            return self.unique(lambda: self.rng.choice(WORDS_ZH) + self.rng.choice(WORDS_ZH) + "年度报告")
        return self.unique(lambda: " ".join(self.rng.choice(WORDS_EN).title() for _ in range(3)) + " Report")

    def company(self) -> str:
        if self.lang == "zh":
            return self.rng.choice(COMPANIES_ZH) + "有限公司"
        return f"{self.rng.choice(COMPANY_A)} {self.rng.choice(COMPANY_B)}"

    def person(self) -> str:
        if self.lang == "zh":
            return self.rng.choice(NAMES_ZH)
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def city(self) -> str:
        return self.rng.choice(CITIES_ZH if self.lang == "zh" else CITIES)

    def product(self) -> str:
        if self.lang == "zh":
            return self.unique(lambda: self.rng.choice(PRODUCTS_ZH) + self.rng.choice("ABCDEFGH") + str(self.rng.randint(1, 99)))
        return self.unique(lambda: f"{self.rng.choice(PRODUCT_ADJ)} {self.rng.choice(PRODUCTS)} "
                           f"{self.rng.choice('ABCDEFGHJK')}{self.rng.randint(10, 99)}")

    def date(self) -> str:
        y, m, d = self.rng.randint(2015, 2026), self.rng.randint(1, 12), self.rng.randint(1, 28)
        if self.lang == "zh":
            return f"{y}年{m}月{d}日"
        return self.rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {d}, {y}"])

    def code(self, prefix: str) -> str:
        return self.unique(lambda: f"{prefix}-{self.rng.randint(1000, 99999)}")

    def money(self, lo: float = 5, hi: float = 5000) -> float:
        return round(self.rng.uniform(lo, hi), 2)

    def phone(self) -> str:
        return f"+{self.rng.randint(1, 99)} {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"

    def email(self) -> str:
        return f"{self.rng.choice(FIRST).lower()}.{self.rng.choice(LAST).lower()}@{self.rng.choice(COMPANY_A).lower()}.com"

    def address(self) -> str:
        if self.lang == "zh":
            return f"{self.city()}市{self.rng.choice(WORDS_ZH)}路{self.rng.randint(1, 300)}号"
        return f"{self.rng.randint(1, 999)} {self.rng.choice(STREETS)} Street"

    def form_value(self, label_index: int) -> str:
        makers = [self.person, self.date, self.address, self.city, self.phone, self.email,
                  lambda: self.code("E"), lambda: self.rng.choice(TOPICS_ZH if self.lang == "zh" else TOPICS_EN),
                  self.date, lambda: str(self.rng.randint(10**9, 10**10 - 1)), self.date]
        return makers[label_index % len(makers)]()


def fmt_money(value: float) -> str:
    return f"{value:,.2f}"
