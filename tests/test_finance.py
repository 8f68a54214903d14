"""Receipts, bank statements, payslips and utility bills: every field reads back from its glyphs
(render raises otherwise) and the document's arithmetic holds to the cent, from the facts alone."""

from __future__ import annotations

import pytest

from omnisynth.generators.content import LABELS, fmt_money
from omnisynth.generators.documents.config import LANGUAGES, DocumentGenerator as DocConfig
from omnisynth.generators.documents.finance_labels import FIN
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec


def documents(family: str, language: str, n: int = 3):
    gen = DocumentGenerator(DocConfig(families=[family], languages={language: 1.0}, dpi=72),
                            TaskConfig(kind="doc_qa"))
    for index in range(n):
        yield gen.render(SampleSpec("t", 0, index, 0))


def fields(truth) -> dict[str, float | str]:
    """kv facts by their printed key: the exact number where the field is an amount, else the text."""
    out = {}
    for f in truth.facts:
        if f.kind == "kv":
            assert f.attrs["key"] not in out, f"key {f.attrs['key']!r} printed twice"
            out[f.attrs["key"]] = f.attrs.get("number", f.text)
            if "number" in f.attrs:
                assert f.text == fmt_money(f.attrs["number"])
    return out


def column(truth, table: int, col: str) -> list[float]:
    cells = sorted((f for f in truth.facts if f.kind == "cell" and f.attrs["table"] == table and f.attrs["col"] == col),
                   key=lambda f: f.attrs["r"])
    return [f.attrs["number"] for f in cells]


def cents(x: float) -> int:
    return round(x * 100)


def taxed(kv: dict, tax_label: str) -> float:
    return next(v for k, v in kv.items() if k.startswith(tax_label + " ") and k.endswith("%"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_receipt_adds_up_and_is_as_long_as_its_items(language):
    L, B = FIN[language], LABELS[language]
    for _, truth in documents("receipt", language):
        kv = fields(truth)
        items = column(truth, 0, B["amount"])
        assert len(items) >= 3 and sum(map(cents, items)) == cents(kv[B["subtotal"]])
        assert cents(kv[B["subtotal"]]) + cents(taxed(kv, B["tax"])) == cents(kv[B["total"]])
        if L["cash"] in kv:
            assert cents(kv[L["cash"]]) - cents(kv[B["total"]]) == cents(kv[L["change"]]) >= 0
        else:
            assert kv[L["paid"]][-4:].isdigit()
        page = truth.pages[0]
        assert page.width == 227 and page.height < 620
        assert max(f.bbox[3] for f in truth.facts) < page.height  # nothing torn off


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bank_statement_balance_runs_from_opening_to_closing(language):
    L, B = FIN[language], LABELS[language]
    for _, truth in documents("statement", language):
        kv = fields(truth)
        rows = {}
        for f in truth.facts:
            if f.kind == "cell":
                rows.setdefault(f.attrs["r"], {})[f.attrs["col"]] = f.attrs.get("number", f.text)
        balance = cents(kv[L["opening"]])
        credits = debits = 0
        for r in sorted(rows):
            row = rows[r]
            assert (L["debit"] in row) != (L["credit"] in row)  # one side of each transaction is empty
            credits += cents(row.get(L["credit"], 0))
            debits += cents(row.get(L["debit"], 0))
            balance += cents(row.get(L["credit"], 0)) - cents(row.get(L["debit"], 0))
            assert balance == cents(row[L["balance"]])
            assert isinstance(row[B["date"]], str)
        assert len(rows) >= 8
        assert (balance, credits, debits) == (cents(kv[L["closing"]]), cents(kv[L["credits"]]), cents(kv[L["debits"]]))
        labels = [f.attrs["row"] for f in truth.facts if f.kind == "cell" and f.attrs["col"] == L["balance"]]
        assert len(set(labels)) == len(labels)  # a row label names one row
        assert kv["IBAN"] and kv[L["account"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_payslip_nets_its_deductions_from_gross_pay(language):
    L, B = FIN[language], LABELS[language]
    for _, truth in documents("payslip", language):
        kv = fields(truth)
        earnings, deductions = column(truth, 0, B["amount"]), column(truth, 1, B["amount"])
        assert sum(map(cents, earnings)) == cents(kv[L["gross"]])
        assert len(deductions) == 4 and sum(map(cents, deductions)) == cents(kv[L["total_deductions"]])
        assert cents(kv[L["gross"]]) - cents(kv[L["total_deductions"]]) == cents(kv[L["net"]])
        hours, rates = column(truth, 0, L["hours"]), column(truth, 0, L["rate"])
        assert cents(hours[0] * rates[0]) == cents(earnings[0])  # basic pay is hours x rate


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_utility_bill_charges_its_readings_and_charts_the_year(language):
    L, B = FIN[language], LABELS[language]
    for _, truth in documents("bill", language):
        kv = fields(truth)
        prev, curr, usage = (column(truth, 0, L[k]) for k in ("prev", "curr", "usage"))
        rates, amounts = column(truth, 0, L["rate"]), column(truth, 0, B["amount"])
        assert all(c - p == u for p, c, u in zip(prev, curr, usage, strict=True))
        assert all(cents(u * r) == cents(a) for u, r, a in zip(usage, rates, amounts, strict=True))
        assert sum(map(cents, amounts)) == cents(kv[L["charges"]])
        due = cents(kv[L["prev_balance"]]) - cents(kv[L["payment"]]) + cents(kv[L["charges"]]) + cents(
            taxed(kv, B["tax"]))
        assert due == cents(kv[L["due_amount"]])
        bars = [f for f in truth.facts if f.kind == "chart_mark"]
        if bars:  # the history ends with this month's electricity
            assert len(bars) == 12 and bars[-1].attrs["value"] == usage[0]
            assert [f.text for f in truth.facts if f.kind == "axis_label"] == [b.attrs["category"] for b in bars]
