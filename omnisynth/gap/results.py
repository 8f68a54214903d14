"""Per-sample benchmark results, read in each benchmark's own published format, counted per category.

Readers (the formats are the benchmarks' published ones: their repositories' record files and
evaluator logs) and the fields each needs:

- `screenspot_pro`: the evaluator's result log (a JSON object whose `details` list has one
  record per task) or annotation records (a JSON list or JSON Lines). Needs `group` and
  `ui_type`, and the outcome as one of: `correctness` ("correct" | "wrong" |
  "wrong_format"), a boolean `correct`, or `pred` (predicted point, pixels) with `bbox`
  (pixels, xyxy). Category: `GROUP/UI_TYPE` (e.g. `CAD/icon`); records with `gt_type`
  "negative" (a refusal is expected) are `negative/UI_TYPE`.
- `ocrbench_v2`: records (JSON list or JSON Lines) with `type` (the task type, e.g.
  "table parsing en") and the outcome as `score` (0-1; >= 0.5 counts as correct) or as
  `predict` with `answers`. Without a score: box answers (four numbers on the 0-1000 grid)
  are correct at IoU >= 0.5; `eval` "multiple choice" needs the exact choice, "case
  sensitive" an exact match; other answers are correct at ANLS >= 0.5 against any answer
  (an approximation for the types the official scripts score with TEDS or F1). Category:
  the task type.
- `mmlongbench_doc`: records with `evidence_sources`, `evidence_pages` (Python-literal
  strings, as the benchmark ships them, or lists), `answer` and `score` (what its
  evaluator adds; >= 0.5 counts as correct). Categories: `SOURCE/single` or `SOURCE/multi`
  (several evidence pages) for each evidence source of the question, and `unanswerable`
  for "Not answerable" questions.

- `omnisynth`: the per-sample rows of `omnisynth eval --results` (JSON Lines). Needs `task`
  (RECIPE-KIND/QUESTION-TYPE, e.g. `av_temporal_qa/order`), `correct` (1 or 0: exact match
  for text answers, point-in-box for grounding, the clip answer) and `checkpoint`; a file
  with the rows of several checkpoints is refused (evaluate one stage folder, or keep one
  checkpoint's rows). Category: the task.

A file that lacks what its reader needs is refused with the missing fields and the first
record that lacks them (`FILE:LINE` for JSON Lines, `FILE[i]` for a list).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from omnisynth.datasets.records import RecordsError, json_records
from omnisynth.geometry import iou


class ResultsError(RecordsError):
    """A results file that cannot be read as the named benchmark's format."""


@dataclass(frozen=True)
class Outcome:
    categories: tuple[str, ...]
    correct: bool
    where: str


def records(path: Path) -> Iterator[tuple[str, dict]]:
    """(where, record) for a JSON object with `details`, a JSON list, or JSON Lines."""
    try:
        yield from json_records(path)
    except RecordsError as exc:
        raise ResultsError(str(exc)) from None


def _need(where: str, rec, fields: tuple[str, ...], benchmark: str, alternatives: str = "") -> None:
    if not isinstance(rec, dict):
        raise ResultsError(f"{where}: a {benchmark} record must be a JSON object, found {type(rec).__name__}")
    missing = [f for f in fields if f not in rec]
    if missing:
        extra = f", and {alternatives}" if alternatives else ""
        raise ResultsError(f"{where}: missing field(s) {', '.join(missing)} that the {benchmark} reader needs "
                           f"(it needs {', '.join(fields)}{extra}; see `omnisynth gap --help`)")


def _listish(value, where: str, name: str) -> list:
    """A list, or the Python-literal string of one (MMLongBench-Doc ships "[3, 5]")."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            parsed = ast.literal_eval(value) if value.strip() else []
        except (ValueError, SyntaxError):
            raise ResultsError(f"{where}: {name} {value!r} is not a list literal") from None
        return list(parsed) if isinstance(parsed, (list, tuple)) else [parsed]
    raise ResultsError(f"{where}: {name} must be a list or a list literal, found {type(value).__name__}")


def screenspot_pro(where: str, rec: dict) -> Outcome:
    _need(where, rec, ("group", "ui_type"), "screenspot_pro",
          "one of correctness, correct, or pred with bbox")
    if "correctness" in rec:
        correct = rec["correctness"] == "correct"
    elif "correct" in rec:
        correct = bool(rec["correct"])
    elif "pred" in rec and "bbox" in rec:
        pred, box = rec["pred"], rec["bbox"]
        correct = (isinstance(pred, (list, tuple)) and len(pred) == 2
                   and box[0] <= pred[0] <= box[2] and box[1] <= pred[1] <= box[3])
    else:
        raise ResultsError(f"{where}: missing field(s) correctness (or correct, or pred with bbox) that the "
                           f"screenspot_pro reader needs")
    kind = "negative" if rec.get("gt_type") == "negative" else rec["group"]
    return Outcome((f"{kind}/{rec['ui_type']}",), correct, where)


def ocrbench_v2(where: str, rec: dict) -> Outcome:
    _need(where, rec, ("type",), "ocrbench_v2", "score, or predict with answers")
    if "score" in rec:
        correct = float(rec["score"]) >= 0.5
    elif "predict" in rec and "answers" in rec:
        correct = _ocr_correct(rec)
    else:
        raise ResultsError(f"{where}: missing field(s) score (or predict with answers) that the ocrbench_v2 "
                           f"reader needs")
    return Outcome((str(rec["type"]),), correct, where)


def _ocr_correct(rec: dict) -> bool:
    answers = rec["answers"] if isinstance(rec["answers"], list) else [rec["answers"]]
    predict = rec["predict"]
    if answers and _is_box(answers) or (answers and _is_box(answers[0])):
        truth = answers if _is_box(answers) else answers[0]
        got = _box_in(predict)
        return got is not None and iou(truth, got) >= 0.5
    text = str(predict).strip()
    mode = rec.get("eval", "")
    if mode == "multiple choice":
        return any(text.strip("() .").upper() == str(a).strip("() .").upper() for a in answers)
    if mode == "case sensitive":
        return any(text == str(a).strip() for a in answers)
    return max((anls(str(a), text) for a in answers), default=0.0) >= 0.5


def _is_box(value) -> bool:
    return isinstance(value, list) and len(value) == 4 and all(isinstance(v, (int, float)) for v in value)


def _box_in(predict) -> list[float] | None:
    if _is_box(predict):
        return [float(v) for v in predict]
    import re

    numbers = re.findall(r"-?\d+(?:\.\d+)?", str(predict))
    return [float(v) for v in numbers[:4]] if len(numbers) >= 4 else None


def normalise(s: str) -> str:
    """An answer as metrics compare it: lower case, no thousands commas, no final full stop, single spaces."""
    s = s.lower().replace(",", "").strip().rstrip(".")
    return " ".join(s.split())


def anls(truth: str, pred: str) -> float:
    """Average normalised Levenshtein similarity of one pair, case-insensitive, 0 below 0.5 (as in DocVQA)."""
    a, b = truth.strip().lower(), pred.strip().lower()
    if not a and not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    sim = 1.0 - prev[-1] / max(len(a), len(b))
    return sim if sim >= 0.5 else 0.0


def mmlongbench_doc(where: str, rec: dict) -> Outcome:
    _need(where, rec, ("evidence_sources", "evidence_pages", "answer", "score"), "mmlongbench_doc")
    correct = float(rec["score"]) >= 0.5
    if str(rec["answer"]).strip().lower() == "not answerable":
        return Outcome(("unanswerable",), correct, where)
    sources = _listish(rec["evidence_sources"], where, "evidence_sources")
    pages = _listish(rec["evidence_pages"], where, "evidence_pages")
    span = "multi" if len(pages) > 1 else "single"
    return Outcome(tuple(f"{s}/{span}" for s in sources) or (f"unknown/{span}",), correct, where)


def omnisynth_eval(where: str, rec: dict) -> Outcome:
    _need(where, rec, ("task", "correct", "checkpoint"), "omnisynth")
    return Outcome((str(rec["task"]),), float(rec["correct"]) >= 0.5, where)


READERS: dict[str, Callable[[str, dict], Outcome]] = {
    "screenspot_pro": screenspot_pro, "ocrbench_v2": ocrbench_v2, "mmlongbench_doc": mmlongbench_doc,
    "omnisynth": omnisynth_eval,
}


def read_results(path: Path, benchmark: str) -> list[Outcome]:
    if benchmark not in READERS:
        raise ResultsError(f"--benchmark {benchmark!r}: known benchmarks are {', '.join(sorted(READERS))}")
    read = READERS[benchmark]
    rows = list(records(path))
    out = [read(where, rec) for where, rec in rows]
    if benchmark == "omnisynth" and len({rec["checkpoint"] for _, rec in rows}) > 1:
        names = list(dict.fromkeys(rec["checkpoint"] for _, rec in rows))
        raise ResultsError(f"{path}: rows of {len(names)} checkpoints ({', '.join(names)}); "
                           f"evaluate one stage folder, or keep one checkpoint's rows")
    if not out:
        raise ResultsError(f"{path}: no result records")
    return out


@dataclass(frozen=True)
class CategoryStats:
    category: str
    n: int
    errors: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.n

    def as_dict(self) -> dict:
        """The figures `omnisynth gap --json`, plans and gap.json record for a category."""
        low, high = self.interval()
        return {"n": self.n, "errors": self.errors, "error_rate": round(self.error_rate, 4),
                "interval": [round(low, 4), round(high, 4)], "gap": round(self.confident_errors, 2)}

    @property
    def confident_errors(self) -> float:
        return self.n * self.interval()[0]

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """Wilson score interval of the error rate (95% by default): honest for small counts."""
        p, n = self.error_rate, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)


def per_category(outcomes: list[Outcome]) -> list[CategoryStats]:
    """Count and errors per category (a question with several sources counts in each), largest gap first.

    The gap is `confident_errors`: the count times the lower end of the error rate's interval,
    the errors the data shows beyond reasonable doubt. It grows with both the error rate and
    the category's weight in the benchmark, and 3 wrong out of 3 (about 1.3) cannot outrank
    80 wrong out of 200 (about 67).
    """
    n: dict[str, int] = {}
    err: dict[str, int] = {}
    for o in outcomes:
        for c in o.categories:
            n[c] = n.get(c, 0) + 1
            err[c] = err.get(c, 0) + (not o.correct)
    stats = [CategoryStats(c, n[c], err[c]) for c in n]
    return sorted(stats, key=lambda s: (-s.confident_errors, -s.errors, s.category))


def format_table(stats: list[CategoryStats]) -> str:
    """The per-category table `omnisynth gap` prints, largest gap first."""
    width = max([len(s.category) for s in stats] + [8])
    lines = [f"{'category':<{width}}  {'n':>6}  {'wrong':>6}  {'error':>6}  {'95% interval':>13}  {'gap':>7}"]
    for s in stats:
        low, high = s.interval()
        lines.append(f"{s.category:<{width}}  {s.n:>6}  {s.errors:>6}  {s.error_rate:>6.1%}  "
                     f"{low:>5.1%}-{high:<6.1%}  {s.confident_errors:>7.1f}")
    lines.append("gap = n x the interval's lower end: the errors the results show beyond reasonable doubt")
    return "\n".join(lines)
