"""Scores of the benchmarks' parsing and extraction tasks, as their evaluators define them.

- `teds`: Tree-Edit-Distance-based Similarity of two HTML tables (Zhong et al., "Image-based
  table recognition", ECCV 2020; PubTabNet's and OCRBench v2's table and chart parsing metric):
  1 - APTED edit distance / the larger tree's node count, a cell's rename costing the normalised
  edit distance of its text. Tree edit distance by `apted`, HTML by `lxml`.
- `ned_similarity`: 1 - normalised Levenshtein distance (full-page OCR, document parsing).
- `kie_f1`: F1 over (key, value) pairs (OCRBench v2's key information extraction).
- `spotting_f1`: F1 of predicted [x1, y1, x2, y2, text] words against the truth, a match being
  IoU >= 0.5 on the 0-1000 grid and the same text (OCRBench v2's text spotting, ICDAR-style).
- `table_grid`: an HTML table as its grid of cell texts, spans expanded (what table parsing checks).
All scores are in [0, 1]; an unparsable prediction scores 0, never raises.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache

from rapidfuzz.distance import Levenshtein


def ned_similarity(prediction: str, truth: str) -> float:
    """1 - Levenshtein distance / the longer string's length (1.0 for two empty strings)."""
    return 1.0 - Levenshtein.normalized_distance(prediction, truth)


def _table_element(html: str):
    import lxml.html

    match = re.search(r"<table.*</table>", html, flags=re.S | re.I)
    if match is None:
        return None
    try:
        root = lxml.html.fragment_fromstring(match.group(0))
    except Exception:  # noqa: BLE001 - any unparsable markup is a wrong answer
        return None
    return root if root.tag == "table" else root.find(".//table")


def _span(cell, name: str) -> int:
    try:
        return max(1, int(cell.get(name, "1")))
    except ValueError:
        return 1


def table_rows(html: str) -> list[list[tuple[str, int, int]]] | None:
    """The table's rows of (text, rowspan, colspan) cells in document order (th and td alike);
    None when `html` holds no parsable <table>."""
    table = _table_element(html)
    if table is None:
        return None
    return [[(" ".join(cell.text_content().split()), _span(cell, "rowspan"), _span(cell, "colspan"))
             for cell in tr if cell.tag in ("td", "th")] for tr in table.iter("tr")]


def table_grid(html: str) -> list[list[str]] | None:
    """The table as a rectangular grid of texts: a merged cell's text in every slot it covers.
    None when there is no table or its spans do not tile a rectangle."""
    rows = table_rows(html)
    if rows is None:
        return None
    grid: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = text
            c += colspan
    if not grid:
        return []
    n_rows = max(r for r, _ in grid) + 1
    n_cols = max(c for _, c in grid) + 1
    if len(grid) != n_rows * n_cols:
        return None
    return [[grid[(r, c)] for c in range(n_cols)] for r in range(n_rows)]


class _Node:
    def __init__(self, tag: str, colspan: int = 1, rowspan: int = 1, text: str = ""):
        self.tag, self.colspan, self.rowspan, self.text = tag, colspan, rowspan, text
        self.children: list[_Node] = []


def _tree(html: str) -> _Node | None:
    rows = table_rows(html)
    if rows is None:
        return None
    root = _Node("table")
    for row in rows:
        tr = _Node("tr")
        tr.children = [_Node("td", colspan, rowspan, text) for text, rowspan, colspan in row]
        root.children.append(tr)
    return root


def _size(node: _Node) -> int:
    return 1 + sum(_size(c) for c in node.children)


@lru_cache(maxsize=1)
def _config():
    from apted import Config

    class TedsConfig(Config):
        valuecls = float  # a cell rename costs a fraction
        def rename(self, a: _Node, b: _Node) -> float:
            if a.tag != b.tag or a.colspan != b.colspan or a.rowspan != b.rowspan:
                return 1.0
            return Levenshtein.normalized_distance(a.text, b.text) if a.tag == "td" else 0.0

        def children(self, node: _Node) -> list[_Node]:
            return node.children

    return TedsConfig()


def teds(prediction: str, truth: str) -> float:
    """TEDS of two HTML tables in [0, 1]; 0 when the prediction holds no table."""
    from apted import APTED

    a, b = _tree(prediction), _tree(truth)
    if a is None or b is None:
        return 0.0
    distance = APTED(a, b, _config()).compute_edit_distance()
    return max(0.0, 1.0 - distance / max(_size(a), _size(b)))


def parse_json(text: str):
    """A JSON (or Python-literal) value in a model's answer, fenced or not; None when there is none."""
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    for loads in (json.loads, ast.literal_eval):
        try:
            return loads(body)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return None


def kie_f1(prediction: str, truth: dict) -> float:
    """F1 over (key, value) pairs, values compared with whitespace and case folded."""
    pred = parse_json(prediction)
    if not isinstance(pred, dict) or not truth:
        return 0.0

    def pairs(d: dict) -> set[tuple[str, str]]:
        return {(str(k).strip().casefold(), " ".join(str(v).split()).casefold()) for k, v in d.items()}

    p, t = pairs(pred), pairs(truth)
    hit = len(p & t)
    return 0.0 if not hit else 2 * hit / (len(p) + len(t))


def spotting_f1(prediction: str, truth: list[list]) -> float:
    """F1 of [x1, y1, x2, y2, text] entries: a prediction matches an unmatched truth entry with the
    same text (case-sensitive, whitespace folded) whose box overlaps it with IoU >= 0.5."""
    from omnisynth.geometry import iou

    pred = parse_json(prediction)
    if not isinstance(pred, list):
        return 0.0
    entries = [e for e in pred if isinstance(e, (list, tuple)) and len(e) == 5]
    used: set[int] = set()
    hit = 0
    for e in entries:
        try:
            box = tuple(float(v) for v in e[:4])
        except (TypeError, ValueError):
            continue
        for i, t in enumerate(truth):
            if i not in used and str(e[4]).strip() == t[4] and iou(box, tuple(t[:4])) >= 0.5:
                used.add(i)
                hit += 1
                break
    return 0.0 if not hit else 2 * hit / (len(entries) + len(truth))


def chart_html(data: dict) -> str:
    """{series: {category: value}} as an HTML table (series rows, category columns): how OCRBench v2
    scores chart parsing, by TEDS over the chart's table."""
    import html

    if not isinstance(data, dict):
        return ""
    cats = list(dict.fromkeys(c for row in data.values() if isinstance(row, dict) for c in row))
    rows = ["<tr><td></td>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cats) + "</tr>"]
    for name, row in data.items():
        row = row if isinstance(row, dict) else {}
        rows.append(f"<tr><td>{html.escape(str(name))}</td>" +
                    "".join(f"<td>{html.escape(_num_text(row.get(c, '')))}</td>" for c in cats) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _num_text(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def _float(text: str) -> float | None:
    m = re.search(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
    return float(m.group()) if m else None


def parse_score(sample: dict, prediction: str) -> tuple[str, float]:
    """(metric name, score in [0, 1]) of a doc_parse prediction, by the sample's derivation op, as
    OCRBench v2 scores the task type (text counting and math QA: the number, to the cent)."""
    op, answer = sample["derivation"]["op"], sample["answer"]
    if op in ("transcribe", "markdown", "translate"):
        return "ned", ned_similarity(" ".join(prediction.split()), " ".join(answer.split()))
    if op == "latex":
        return "ned", ned_similarity("".join(prediction.split()), "".join(answer.split()))
    if op == "spot":
        return "spotting_f1", spotting_f1(prediction, parse_json(answer) or [])
    if op == "table_html":
        return "teds", teds(prediction, answer)
    if op == "chart_table":
        return "teds", teds(chart_html(parse_json(prediction)), chart_html(parse_json(answer)))
    if op == "kie":
        return "f1", kie_f1(prediction, parse_json(answer) or {})
    if op in ("count", "arithmetic"):
        got, want = _float(prediction), _float(answer)
        return "numeric", float(got is not None and want is not None and abs(got - want) <= 0.005 + 1e-9 * abs(want))
    return "exact", float(" ".join(prediction.split()).casefold() == " ".join(answer.split()).casefold())


PARSE_METRIC_OPS = ("transcribe", "markdown", "latex", "graph", "spot", "table_html", "chart_table", "kie", "count", "arithmetic",
                    "classify", "translate")
