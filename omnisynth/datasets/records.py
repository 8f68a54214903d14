"""Benchmark record files as the benchmarks ship them: a JSON list, a JSON object with a `details`
list (ScreenSpot-Pro's evaluator log), or JSON Lines. Read by `omnisynth gap` (results) and the
decontamination filter (questions, answers and images to keep out of our samples)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


class RecordsError(ValueError):
    """A file that is neither a JSON document of records nor JSON Lines (the message names the line)."""


def json_records(path: Path | str) -> Iterator[tuple[str, dict]]:
    """(where, record) for each record: `FILE[i]` in a list, `FILE[details][i]`, `FILE:LINE` in JSON Lines."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None  # JSON Lines (or broken): read line by line below
    if isinstance(whole, dict) and isinstance(whole.get("details"), list):  # ScreenSpot-Pro's result log
        for i, rec in enumerate(whole["details"]):
            yield f"{path}[details][{i}]", rec
        return
    if isinstance(whole, list):
        for i, rec in enumerate(whole):
            yield f"{path}[{i}]", rec
        return
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield f"{path}:{n}", json.loads(line)
            except ValueError as exc:
                raise RecordsError(f"{path}:{n}: neither a JSON document nor a JSON line: {exc}") from None
