"""Text content for synthetic pages and screens: running text, entities, labels, numbers.

Everything is drawn from a caller's `random.Random`, so content is a pure function of the
sample's seed. Given a `Prose` (documents: the bundled handbook or your corpus,
omnisynth.generators.prose), running text is read from it in order and entities (people,
companies, cities, addresses, phone numbers, emails, account numbers) come from Faker in the
page's locale, seeded from the same stream. Without one (screens), words and entities come
from the small pools below.
"""

from __future__ import annotations

import random
import threading

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
        "chart_title": "{x} by {dim}", "dims": ["Quarter", "Region", "Month"], "row": "Item", "units": "units",
    },
    "zh": {
        "invoice": "发票", "invoice_no": "发票号码", "date": "开票日期", "due": "付款期限",
        "customer": "客户名称", "po": "订单编号", "description": "项目名称", "qty": "数量",
        "unit": "单价", "amount": "金额", "subtotal": "小计", "tax": "税额", "total": "合计",
        "page": "第{n}页 共{m}页", "figure": "图{n}", "table": "表{n}", "abstract": "摘要",
        "form_fields": ["姓名", "出生日期", "联系地址", "所在城市", "联系电话", "电子邮箱",
                        "员工编号", "所属部门", "入职日期", "银行账号", "签署日期"],
        "chart_title": "{x}统计", "dims": ["季度", "地区", "月份"], "row": "项目", "units": "件",
    },
}


LABELS["ja"] = {
    "invoice": "請求書", "invoice_no": "請求書番号", "date": "発行日", "due": "支払期限", "customer": "取引先",
    "po": "注文番号", "description": "品名", "qty": "数量", "unit": "単価", "amount": "金額", "subtotal": "小計",
    "tax": "消費税", "total": "合計", "page": "{n} / {m} ページ", "figure": "図{n}", "table": "表{n}",
    "abstract": "概要", "form_fields": ["氏名", "生年月日", "住所", "市区町村", "電話番号", "メールアドレス",
                                        "社員番号", "部署", "入社日", "口座番号", "署名日"],
    "chart_title": "{x}の推移", "dims": ["四半期", "地域", "月"], "row": "項目", "units": "個",
}
LABELS["ko"] = {
    "invoice": "청구서", "invoice_no": "청구서 번호", "date": "발행일", "due": "지급 기한", "customer": "거래처",
    "po": "주문 번호", "description": "품목", "qty": "수량", "unit": "단가", "amount": "금액", "subtotal": "소계",
    "tax": "부가세", "total": "합계", "page": "{n} / {m} 페이지", "figure": "그림 {n}", "table": "표 {n}",
    "abstract": "요약", "form_fields": ["성명", "생년월일", "주소", "도시", "전화번호", "이메일", "사원 번호", "부서",
                                        "입사일", "계좌 번호", "서명일"],
    "chart_title": "{x} 현황", "dims": ["분기", "지역", "월"], "row": "항목", "units": "개",
}
LABELS["de"] = {
    "invoice": "RECHNUNG", "invoice_no": "Rechnungsnr.", "date": "Datum", "due": "Fällig am", "customer": "Kunde",
    "po": "Bestellnr.", "description": "Beschreibung", "qty": "Menge", "unit": "Einzelpreis", "amount": "Betrag",
    "subtotal": "Zwischensumme", "tax": "MwSt.", "total": "Gesamt", "page": "Seite {n} von {m}",
    "figure": "Abbildung {n}", "table": "Tabelle {n}", "abstract": "Zusammenfassung",
    "form_fields": ["Name", "Geburtsdatum", "Straße", "Ort", "Telefon", "E-Mail", "Personalnummer", "Abteilung",
                    "Eintrittsdatum", "Kontonummer", "Datum der Unterschrift"],
    "chart_title": "{x} nach {dim}", "dims": ["Quartal", "Region", "Monat"], "row": "Artikel", "units": "Stück",
}
LABELS["fr"] = {
    "invoice": "FACTURE", "invoice_no": "N° de facture", "date": "Date", "due": "Échéance", "customer": "Client",
    "po": "N° de commande", "description": "Désignation", "qty": "Qté", "unit": "Prix unitaire", "amount": "Montant",
    "subtotal": "Sous-total", "tax": "TVA", "total": "Total", "page": "Page {n} sur {m}", "figure": "Figure {n}",
    "table": "Tableau {n}", "abstract": "Résumé",
    "form_fields": ["Nom complet", "Date de naissance", "Adresse", "Ville", "Téléphone", "Courriel",
                    "Matricule", "Service", "Date d'entrée", "Numéro de compte", "Date de signature"],
    "chart_title": "{x} par {dim}", "dims": ["trimestre", "région", "mois"], "row": "Article", "units": "unités",
}
LABELS["es"] = {
    "invoice": "FACTURA", "invoice_no": "N.º de factura", "date": "Fecha", "due": "Vencimiento", "customer": "Cliente",
    "po": "N.º de pedido", "description": "Descripción", "qty": "Cant.", "unit": "Precio unitario", "amount": "Importe",
    "subtotal": "Subtotal", "tax": "IVA", "total": "Total", "page": "Página {n} de {m}", "figure": "Figura {n}",
    "table": "Tabla {n}", "abstract": "Resumen",
    "form_fields": ["Nombre completo", "Fecha de nacimiento", "Dirección", "Ciudad", "Teléfono", "Correo electrónico",
                    "N.º de empleado", "Departamento", "Fecha de alta", "Número de cuenta", "Fecha de firma"],
    "chart_title": "{x} por {dim}", "dims": ["trimestre", "región", "mes"], "row": "Artículo", "units": "unidades",
}
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "de": "German", "fr": "French",
                  "es": "Spanish"}
FAKER_LOCALES = {"en": "en_US", "zh": "zh_CN", "ja": "ja_JP", "ko": "ko_KR", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
_fakers = threading.local()


def goods(language: str) -> tuple:
    """This thread's mimesis (Food, Hardware, Finance) providers for a language: line items, bank names."""
    cache = _fakers.__dict__.setdefault("goods", {})
    if language not in cache:
        from mimesis import Finance, Food, Hardware, Locale

        cache[language] = (Food(Locale(language)), Hardware(), Finance(Locale(language)))
    return cache[language]


def faker(language: str):
    """This thread's Faker for a language's locale (built once: building one takes ~0.1 s)."""
    cache = _fakers.__dict__.setdefault("by_locale", {})
    if language not in cache:
        from faker import Faker

        cache[language] = Faker(FAKER_LOCALES[language])
    return cache[language]


class Content:
    """Draws text of one language from one random stream; with `prose`, real text and Faker entities."""

    def __init__(self, rng: random.Random, language: str, prose=None):
        self.rng = rng
        self.lang = language
        self.labels = LABELS[language]
        self._used: set[str] = set()
        self.reader = self.fake = None
        if prose is not None:
            from omnisynth.generators.prose import Reader

            self.reader = Reader(prose, random.Random(rng.getrandbits(64)), language)
            self.fake = faker(language)
            self.fake.seed_instance(rng.getrandbits(32))
            self.goods = goods(language)
            for provider in self.goods:
                provider.reseed(rng.getrandbits(32))

    def _entity(self, make) -> str:
        """A Faker value on one line that the page's fonts can print (a few tries, then the pools)."""
        from omnisynth.generators.prose import fold, renderable

        for _ in range(8):
            text = fold(str(make()).replace("\n", ", "), self.lang)
            if renderable(text, self.lang):
                return text
        return fold(str(make()).encode("ascii", "ignore").decode(), self.lang)

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
        """n words for labels (table headers, series names): the pools in en/zh, Faker's word lists otherwise."""
        if self.fake is not None and self.lang in ("ja", "de", "fr", "es"):
            return ("" if self.lang == "ja" else " ").join(self._entity(self.fake.word) for _ in range(n))
        if self.reader is not None and self.lang == "ko":  # Faker's ko_KR words are Latin filler: real words instead
            words = self.reader.paragraph().split()
            start = self.rng.randrange(max(1, len(words) - n))
            return " ".join(words[start:start + n])
        pool = WORDS_ZH if self.lang == "zh" else WORDS_EN
        sep = "" if self.lang == "zh" else " "
        return sep.join(self.rng.choice(pool) for _ in range(n))

    def sentence(self, lo: int = 6, hi: int = 14) -> str:
        if self.reader is not None:
            return self.reader.sentence(lo, hi)
        text = self.words(self.rng.randint(lo, hi))
        return text + "。" if self.lang == "zh" else text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: tuple[int, int] = (2, 5)) -> str:
        """A paragraph: the prose's next one (whole; layouts cut it at the space they have), else 2-5 sentences."""
        if self.reader is not None:
            return self.reader.paragraph()
        sep = "" if self.lang == "zh" else " "
        return sep.join(self.sentence() for _ in range(self.rng.randint(*sentences)))

    def more(self) -> bool:
        """Does the current section have another paragraph (prose), or may one more follow (pools)."""
        return self.reader.remaining > 0 if self.reader is not None else True

    def heading(self) -> str:
        if self.reader is not None:
            return self.unique(self.reader.heading)
        if self.lang == "zh":
            return self.unique(lambda: self.rng.choice(TOPICS_ZH) + self.rng.choice(WORDS_ZH))
        return self.unique(lambda: f"{self.rng.choice(TOPICS_EN)} of {self.rng.choice(WORDS_EN).title()} "
                           f"{self.rng.choice(WORDS_EN).title()}")

    def title(self) -> str:
        """A document title: the prose's current section heading, which the first `heading()` moves past."""
        if self.reader is not None:
            section = self.reader.section
            return self.unique(lambda: section.heading or self.reader.sentence(3, 8))
        if self.lang == "zh":
            return self.unique(lambda: self.rng.choice(WORDS_ZH) + self.rng.choice(WORDS_ZH) + "年度报告")
        return self.unique(lambda: " ".join(self.rng.choice(WORDS_EN).title() for _ in range(3)) + " Report")

    def company(self) -> str:
        if self.fake is not None:
            return self._entity(self.fake.company)
        if self.lang == "zh":
            return self.rng.choice(COMPANIES_ZH) + "有限公司"
        return f"{self.rng.choice(COMPANY_A)} {self.rng.choice(COMPANY_B)}"

    def person(self) -> str:
        if self.fake is not None:
            return self._entity(self.fake.name)
        if self.lang == "zh":
            return self.rng.choice(NAMES_ZH)
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def bank(self) -> str:
        """A bank's name (mimesis's banks of the locale's country), else a company."""
        if self.fake is not None:
            return self._entity(self.goods[2].bank)
        return self.company()

    def job(self) -> str:
        """A job title (Faker's, in the locale's language), else two words."""
        if self.fake is not None:
            return self._entity(self.fake.job)
        return self.words(2).title()

    def city(self) -> str:
        if self.fake is not None:
            return self._entity(self.fake.city)
        return self.rng.choice(CITIES_ZH if self.lang == "zh" else CITIES)

    def food(self, kind: str) -> str:
        """A dish, drink, fruit or vegetable of the locale (mimesis Food: kind is its method's name), unique
        in the document; without the fake-data providers a product."""
        if self.fake is None:
            return self.product()
        return self.unique(lambda: self._entity(getattr(self.goods[0], kind)))

    def product(self) -> str:
        """A line item's name: mimesis's foods and drinks in the page's locale, or a hardware model."""
        if self.fake is not None:
            food, hardware, _ = self.goods
            makers = [food.dish, food.fruit, food.vegetable, food.drink, hardware.cpu, hardware.graphics,
                      hardware.phone_model]
            return self.unique(lambda: self._entity(self.rng.choice(makers)))
        if self.lang == "zh":
            return self.unique(lambda: self.rng.choice(PRODUCTS_ZH) + self.rng.choice("ABCDEFGH") + str(self.rng.randint(1, 99)))
        return self.unique(lambda: f"{self.rng.choice(PRODUCT_ADJ)} {self.rng.choice(PRODUCTS)} "
                           f"{self.rng.choice('ABCDEFGHJK')}{self.rng.randint(10, 99)}")

    def date(self) -> str:
        return self.date_of(self.rng.randint(2015, 2026), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def date_of(self, y: int, m: int, d: int, style: int | None = None) -> str:
        """A date as the page's locale writes it (English pages: one of three styles, `style` 0-2, else drawn)."""
        if self.lang in ("zh", "ja"):
            return f"{y}年{m}月{d}日"
        if self.lang == "ko":
            return f"{y}년 {m}월 {d}일"
        if self.lang == "de":
            return f"{d:02d}.{m:02d}.{y}"
        if self.lang in ("fr", "es"):
            return f"{d:02d}/{m:02d}/{y}"
        forms = [f"{y}-{m:02d}-{d:02d}", f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {d}, {y}"]
        return forms[style] if style is not None else self.rng.choice(forms)

    def code(self, prefix: str) -> str:
        return self.unique(lambda: f"{prefix}-{self.rng.randint(1000, 99999)}")

    def money(self, lo: float = 5, hi: float = 5000) -> float:
        return round(self.rng.uniform(lo, hi), 2)

    def phone(self) -> str:
        if self.fake is not None:
            return self._entity(self.fake.phone_number)
        return f"+{self.rng.randint(1, 99)} {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"

    def email(self) -> str:
        if self.fake is not None:
            return self._entity(self.fake.email)
        return f"{self.rng.choice(FIRST).lower()}.{self.rng.choice(LAST).lower()}@{self.rng.choice(COMPANY_A).lower()}.com"

    def address(self) -> str:
        if self.fake is not None:
            return self._entity(self.fake.address)
        if self.lang == "zh":
            return f"{self.city()}市{self.rng.choice(WORDS_ZH)}路{self.rng.randint(1, 300)}号"
        return f"{self.rng.randint(1, 999)} {self.rng.choice(STREETS)} Street"

    def account(self) -> str:
        """A bank account number (Faker's BBAN for the locale), else ten digits."""
        if self.fake is not None:
            return self._entity(self.fake.bban)
        return str(self.rng.randint(10**9, 10**10 - 1))

    def form_value(self, label_index: int) -> str:
        makers = [self.person, self.date, self.address, self.city, self.phone, self.email,
                  lambda: self.code("E"), lambda: self.rng.choice(TOPICS_ZH if self.lang == "zh" else TOPICS_EN),
                  self.date, self.account, self.date]
        return makers[label_index % len(makers)]()


def fmt_money(value: float) -> str:
    return f"{value:,.2f}"
