"""Finance documents: a till receipt, a bank statement, a payslip and a utility bill.

Each family draws one page and records its facts the way the other families do (`kv` fields
keyed by their printed label, `cell`s keyed by row label and column header, both with the exact
`number` where the field is an amount). The arithmetic is the document's own: a receipt's
total is its subtotal plus tax, a statement's balance column runs from the opening balance
through every transaction to the closing balance, a payslip's net pay is gross pay less the
deductions, a bill's amount due is the previous balance less the payment plus the period's
charges and tax. The numbers are exact to the cent as printed (tests/test_finance.py adds them
up from the facts). Labels come from `finance_labels.FIN`, names, addresses, account numbers
and job titles from Faker, bank names and line items from mimesis (omnisynth.generators.content).
"""

from __future__ import annotations

import calendar
import random

from omnisynth.generators.content import MONTHS, Content, fmt_money
from omnisynth.generators.documents.canvas import CJK_FONTS, MARGIN, Canvas, text_width
from omnisynth.generators.documents.finance_labels import FIN

NAVY = (0.12, 0.22, 0.42)
SHADE = (0.93, 0.95, 0.97)


def _mono(cv: Canvas, bold: bool = False) -> str | None:
    """A till's typewriter face (Courier) on Latin pages; CJK pages keep their one CJK font."""
    return None if cv.language in CJK_FONTS else ("cobo" if bold else "cour")


def _kv(cv: Canvas, x: float, y: float, key: str, value: str, size: float, value_x: float, right: float,
        number: float | None = None, bold: bool = False, font: str | None = None, align: str = "left") -> float:
    """`key:` at x and its value at value_x (left-aligned) or ending at `right` (align='right'), as a
    `kv` fact keyed by the printed key; returns the y of the next row."""
    bold_font = {"cour": "cobo", "helv": "hebo"}.get(font or "")
    key_text = f"{key}:"
    cv.text(x, y, key_text, size, bold=True, font=bold_font, color=(0.25, 0.25, 0.3))
    attrs = {"key": key} if number is None else {"key": key, "number": number}
    if align == "right":  # the value ends at `right`, cut so it never runs into its key
        key_w = text_width(key_text, bold_font or cv.font(True, key_text), size)
        cv.text(right, y, value, size, bold=bold, font=font, align="right", fact="kv", attrs=attrs,
                fit=right - x - key_w - 8)
    else:
        cv.text(value_x, y, value, size, bold=bold, font=font, fact="kv", attrs=attrs, fit=right - value_x)
    return y + size * 1.7


def _period(c: Content, rng: random.Random, style: int) -> tuple[int, int, int, str, str]:
    """A month: (year, month, its last day, first and last day as the page writes dates)."""
    y, m = rng.randint(2019, 2026), rng.randint(1, 12)
    last = calendar.monthrange(y, m)[1]
    return y, m, last, c.date_of(y, m, 1, style), c.date_of(y, m, last, style)


def draw_receipt(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A till receipt on an 80 mm roll: store, address, items with quantities, totals, payment."""
    L, B = FIN[c.lang], c.labels
    m, fs, font = 14.0, 7.5, _mono(cv)
    right, w = cv.width - m, cv.width - 2 * m
    y = 22.0
    cv.text(cv.width / 2, y, c.company(), 11, bold=True, align="center", fact="title", fit=w)
    y += 17
    cv.text(cv.width / 2, y, c.address(), 6.5, align="center", fact="address", fit=w)
    y += 11
    y = _kv(cv, m, y, L["tel"], c.phone(), fs, 0, right, font=font, align="right")
    style = rng.randrange(3)
    day = c.date_of(rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28), style)
    y = _kv(cv, m, y, B["date"], day, fs, 0, right, font=font, align="right")
    y = _kv(cv, m, y, L["time"], f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}", fs, 0, right, font=font,
            align="right")
    cv.line(m, y, right, y, width=0.4)
    y += 6
    subtotal, names = 0.0, set()
    for r in range(rng.randint(3, 12)):
        name = cv.fitting(c.product, w * 0.66, fs, names, font)
        qty, unit = (rng.randint(2, 6) if rng.random() < 0.3 else 1), c.money(0.5, 60)
        amount = round(qty * unit, 2)
        subtotal = round(subtotal + amount, 2)
        cv.text(m, y, name, fs, font=font)
        cv.text(right, y, fmt_money(amount), fs, font=font, align="right", fact="cell",
                attrs={"table": 0, "row": name, "col": B["amount"], "r": r, "c": 1, "number": amount})
        y += fs * 1.45
        if qty > 1:
            cv.text(m + 10, y, f"{qty} x {fmt_money(unit)}", fs - 1, font=font, color=(0.35, 0.35, 0.4))
            y += fs * 1.35
    cv.line(m, y + 2, right, y + 2, width=0.4)
    y += 8
    rate = rng.choice([0.05, 0.07, 0.08, 0.1, 0.19, 0.2])
    tax = round(subtotal * rate, 2)
    total = round(subtotal + tax, 2)
    y = _kv(cv, m, y, B["subtotal"], fmt_money(subtotal), fs, 0, right, subtotal, font=font, align="right")
    y = _kv(cv, m, y, f"{B['tax']} {rate:.0%}", fmt_money(tax), fs, 0, right, tax, font=font, align="right")
    y = _kv(cv, m, y + 2, B["total"], fmt_money(total), fs + 2.5, 0, right, total, bold=True, font=font,
            align="right")
    if rng.random() < 0.5:
        card = f"{rng.choice(['VISA', 'MASTERCARD', 'AMEX', 'UNIONPAY'])} **** {rng.randint(0, 9999):04d}"
        y = _kv(cv, m, y, L["paid"], card, fs, 0, right, font=font, align="right")
    else:
        tendered = float(next(n for n in (5, 10, 20, 50, 100, 200, 500, 1000, 10**6) if n >= total))
        y = _kv(cv, m, y, L["cash"], fmt_money(tendered), fs, 0, right, tendered, font=font, align="right")
        y = _kv(cv, m, y, L["change"], fmt_money(round(tendered - total, 2)), fs, 0, right,
                round(tendered - total, 2), font=font, align="right")
    cv.line(m, y + 2, right, y + 2, width=0.4)
    y += 8
    y = _kv(cv, m, y, L["receipt_no"], c.code("R"), fs, 0, right, font=font, align="right")
    y = _kv(cv, m, y, L["cashier"], c.person(), fs, 0, right, font=font, align="right")
    x = m + 20  # a barcode of the receipt number: bars only, no text
    while x < right - 20:
        bar = rng.choice([0.8, 1.2, 2.0])
        cv.rect(x, y + 6, x + bar, y + 30, stroke=None, fill=(0, 0, 0))
        x += bar + rng.choice([0.8, 1.2, 1.8])
    cv.text(cv.width / 2, y + 38, L["thanks"], fs, align="center", font=font, fit=w)
    cv.height = y + 64  # the roll is torn off below the last line: a receipt is as long as its items


def _header(cv: Canvas, c: Content, name: str, label: str, size: float) -> float:
    """Issuer's name (the `title` fact), its address and the document's label on the right."""
    cv.text(cv.width - MARGIN, 48, label, size + 4, bold=True, align="right", color=NAVY)
    label_w = text_width(label, cv.font(True, label), size + 4)
    cv.text(MARGIN, 46, name, size + 7, bold=True, color=NAVY, fact="title", fit=cv.width - 2 * MARGIN - label_w - 20)
    cv.text(MARGIN, 46 + (size + 7) * 1.5, c.address(), size - 1.5, fact="address", fit=cv.width * 0.55)
    cv.line(MARGIN, 96, cv.width - MARGIN, 96, color=NAVY, width=1.2)
    return 110.0


def _fields(cv: Canvas, fields: list[tuple[str, str]], top: float, size: float) -> float:
    """Labelled fields in two columns below the header, each a small grey label over its value (a
    `kv` fact keyed by the label); returns the y below them."""
    half = (cv.width - 2 * MARGIN) / 2
    rows = (len(fields) + 1) // 2
    for i, (key, value) in enumerate(fields):
        x = MARGIN + half * (i // rows)
        y = top + (i % rows) * size * 2.9
        cv.text(x, y, key, size - 2, bold=True, color=(0.4, 0.4, 0.45), fit=half - 12)
        fs = size
        while fs > size - 3 and text_width(value, cv.font(False, value), fs) > half - 12:
            fs -= 0.5  # a long value (a CJK date range) is set smaller before it would be cut
        cv.text(x, y + size * 1.15, value, fs, fact="kv", attrs={"key": key}, fit=half - 12)
    return top + rows * size * 2.9 + size * 0.5


def _totals(cv: Canvas, items: list[tuple[str, float, bool]], top: float, size: float) -> float:
    """Amount fields right-aligned in a shaded box (bold rows are the ones that matter)."""
    x0 = cv.width - MARGIN - 250
    cv.rect(x0 - 8, top - 6, cv.width - MARGIN + 4, top + len(items) * size * 1.8 + 2, stroke=None, fill=SHADE)
    for key, value, bold in items:
        top = _kv(cv, x0, top, key, fmt_money(value), size + (1 if bold else 0), 0, cv.width - MARGIN, value,
                  bold=bold, align="right") + size * 0.1
    return top + size


def draw_statement(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A bank statement: holder and account, a month's transactions with a running balance, totals."""
    L, B = FIN[c.lang], c.labels
    top = _header(cv, c, c.bank(), L["statement"], size)
    style = rng.randrange(3)
    year, month, last, first_day, last_day = _period(c, rng, style)
    top = _fields(cv, [(L["holder"], c.person()), (L["account"], c.account()), ("IBAN", c.fake.iban()),
                       (L["period"], f"{first_day} - {last_day}")], top, size)
    opening = c.money(800, 25000)
    width = cv.width - 2 * MARGIN
    label_w = width * 0.34 - 8
    rows, balance, credits, debits, seen = [], opening, 0.0, 0.0, set()
    days = sorted(rng.randint(1, last) for _ in range(rng.randint(8, 18)))
    for day in days:
        kind = rng.choices(["card", "out", "in", "salary", "atm", "dd"], weights=[6, 2, 2, 1, 2, 2])[0]
        who = {"out": c.person, "in": c.person, "atm": c.city}.get(kind, c.company)
        text = cv.fitting(lambda k=kind, f=who: L["tx"][k].format(x=f()), label_w, size - 1, seen)
        amount = {"salary": c.money(1800, 7000), "in": c.money(20, 900), "atm": float(rng.choice([20, 50, 100, 200])),
                  "out": c.money(40, 1500), "dd": c.money(12, 400), "card": c.money(3, 280)}[kind]
        credit = kind in ("in", "salary")
        balance = round(balance + (amount if credit else -amount), 2)
        credits, debits = (round(credits + amount, 2), debits) if credit else (credits, round(debits + amount, 2))
        rows.append([text, c.date_of(year, month, day, style), "" if credit else fmt_money(amount),
                     fmt_money(amount) if credit else "", fmt_money(balance)])
    header = [B["description"], B["date"], L["debit"], L["credit"], L["balance"]]
    top = _totals(cv, [(L["opening"], opening, False), (L["credits"], credits, False),
                       (L["debits"], debits, False), (L["closing"], balance, True)], top + 4, size)
    cv.table(MARGIN, top + size, width, header, rows, size - 1, 0, {2, 3, 4})


def draw_payslip(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A payslip: employee fields, earnings and deductions tables, gross, deductions and net pay."""
    L, B = FIN[c.lang], c.labels
    top = _header(cv, c, c.company(), L["payslip"], size)
    style = rng.randrange(3)
    year, month, last, first_day, last_day = _period(c, rng, style)
    top = _fields(cv, [(L["employee"], c.person()), (L["employee_id"], c.code("E")), (L["position"], c.job()),
                       (L["pay_period"], f"{first_day} - {last_day}"),
                       (L["pay_date"], c.date_of(year, month, last, style)), (L["account"], c.account())], top, size)
    width = cv.width - 2 * MARGIN
    hours, rate = rng.randint(150, 176), round(rng.uniform(14, 90), 2)
    earnings = [[L["basic"], str(hours), fmt_money(rate), fmt_money(round(hours * rate, 2))]]
    if rng.random() < 0.6:
        extra, extra_rate = rng.randint(2, 24), round(rate * 1.5, 2)
        earnings.append([L["overtime"], str(extra), fmt_money(extra_rate), fmt_money(round(extra * extra_rate, 2))])
    for key in ("bonus", "allowance"):
        if rng.random() < 0.5:
            earnings.append([L[key], "", "", fmt_money(c.money(40, 1500))])
    gross = round(sum(float(r[3].replace(",", "")) for r in earnings), 2)
    deductions = [[L[key], fmt_money(round(gross * rng.uniform(lo, hi), 2))]
                  for key, lo, hi in (("income_tax", 0.08, 0.25), ("social", 0.005, 0.03),
                                      ("pension", 0.04, 0.1), ("health", 0.02, 0.08))]
    total_deductions = round(sum(float(r[1].replace(",", "")) for r in deductions), 2)
    top = cv.table(MARGIN, top + size, width, [L["earnings"], L["hours"], L["rate"], B["amount"]], earnings,
                size - 0.5, 0, {1, 2, 3})
    top = cv.table(MARGIN, top + size * 2, width, [L["deductions"], B["amount"]], deductions, size - 0.5, 1, {1})
    _totals(cv, [(L["gross"], gross, False), (L["total_deductions"], total_deductions, False),
                 (L["net"], round(gross - total_deductions, 2), True)], top + size * 2.5, size)


def draw_bill(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A utility bill: customer and meter fields, readings and charges per service, the amount due."""
    L, B = FIN[c.lang], c.labels
    top = _header(cv, c, c.company(), L["bill"], size)
    style = rng.randrange(3)
    year, month, last, first_day, last_day = _period(c, rng, style)
    due = c.date_of(year + (month == 12), month % 12 + 1, rng.randint(10, 28), style)
    top = _fields(cv, [(B["customer"], c.person()), (L["account"], c.account()), (L["meter"], c.code("M")),
                       (L["period"], f"{first_day} - {last_day}"), (L["bill_date"], c.date_of(year, month, last, style)),
                       (B["due"], due)], top, size)
    services = [s for s in ("electricity", "gas", "water") if s == "electricity" or rng.random() < 0.6]
    limits = {"electricity": (80, 900, 0.08, 0.45), "gas": (10, 220, 0.5, 1.6), "water": (3, 40, 1.0, 4.5)}
    rows, charges = [], 0.0
    for s in services:
        lo, hi, rlo, rhi = limits[s]
        previous, used, rate = rng.randint(1000, 90000), rng.randint(lo, hi), round(rng.uniform(rlo, rhi), 3)
        amount = round(used * rate, 2)
        charges = round(charges + amount, 2)
        rows.append([L[s], f"{previous:,}", f"{previous + used:,}", f"{used:,}", f"{rate:.3f}", fmt_money(amount)])
    header = [L["service"], L["prev"], L["curr"], L["usage"], L["rate"], B["amount"]]
    top = cv.table(MARGIN, top + size, cv.width - 2 * MARGIN, header, rows, size - 1, 0, {1, 2, 3, 4, 5})
    previous_balance = c.money(20, 400)
    paid = previous_balance if rng.random() < 0.7 else round(previous_balance * rng.uniform(0.3, 0.9), 2)
    rate = rng.choice([0.05, 0.06, 0.07, 0.1, 0.19, 0.2])
    tax = round(charges * rate, 2)
    top = _totals(cv, [(L["prev_balance"], previous_balance, False), (L["payment"], paid, False),
                       (L["charges"], charges, False), (f"{B['tax']} {rate:.0%}", tax, False),
                       (L["due_amount"], round(previous_balance - paid + charges + tax, 2), True)],
                  top + size * 2.5, size)
    used = int(rows[0][3].replace(",", ""))  # this month's electricity, the last bar of its history
    history = [max(1, round(used * rng.uniform(0.6, 1.4))) for _ in range(11)] + [used]
    months = [((month - 12 + k) % 12 + 1, year - (month - 12 + k < 0)) for k in range(12)]
    _usage_chart(cv, c, top + size * 2, f"{L['usage']}: {L['electricity']}", months, history, size)


def _month(c: Content, month: int, year: int) -> str:
    if c.lang in ("zh", "ja"):
        return f"{month}月"
    if c.lang == "ko":
        return f"{month}월"
    return MONTHS[month - 1] if c.lang == "en" else f"{month:02d}/{year % 100:02d}"


def _usage_chart(cv: Canvas, c: Content, top: float, title: str, months: list[tuple[int, int]],
                 values: list[int], size: float) -> None:
    """Twelve months of use as bars with their values on top: `chart_mark` facts with the exact
    value, the month labels `axis_label`s, the title a `chart_title`, as `layouts.chart` records them."""
    x0, x1 = MARGIN + 10, cv.width - MARGIN
    bottom = min(cv.height - 80, top + 190)
    if bottom - top < 110:
        return
    cv.text(MARGIN, top, title, size + 1, bold=True, fact="chart_title", attrs={"chart": 0}, fit=x1 - MARGIN)
    plot_top, base = top + size * 3.2, bottom - size * 1.6
    slot, vmax = (x1 - x0) / len(values), max(values)
    cv.line(x0, base, x1, base, width=0.8)
    for k, ((month, year), value) in enumerate(zip(months, values, strict=True)):
        label = _month(c, month, year)
        h = (base - plot_top) * value / vmax
        bx = x0 + slot * k + slot * 0.18
        color = NAVY if k == len(values) - 1 else (0.62, 0.70, 0.82)
        cv.rect(bx, base - h, bx + slot * 0.64, base, stroke=None, fill=color)
        cv.mark((bx, base - h, bx + slot * 0.64, base), f"{title} {label}",
                {"chart": 0, "chart_title": title, "series": title, "category": label, "value": float(value),
                 "kind": "bar"})
        cv.text(bx + slot * 0.32, base - h - size * 1.05, str(value), size * 0.7, align="center")
        cv.text(bx + slot * 0.32, base + 3, label, size * 0.75, align="center", fact="axis_label")


FINANCE_FAMILIES = {"receipt": draw_receipt, "statement": draw_statement, "payslip": draw_payslip,
                    "bill": draw_bill}
