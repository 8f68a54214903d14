"""OCRBench v2's text translation (en <-> cn) with a human reference: `doc_parse`'s `text_translation`.

The bundled prose is *The Debian Administrator's Handbook*, translated by people into the other
languages the pages use (`handbook.parallel` pairs its paragraphs). A paragraph printed whole on
page 1 (its wrapped lines, first to last, read back from the text layer) whose text is a handbook
paragraph is asked for in the other language: English pages into Chinese, Chinese pages into
English; the answer is the handbook translators' paragraph. The filter checks the source paragraph
is under the evidence box and the answer is its paired translation. Pages whose text comes from
your own corpus (`content.path`) have no reference: the type is Unsupported there.
"""

from __future__ import annotations

from omnisynth.generators.handbook import TRANSLATION_PAIRS as PAIRS  # en <-> zh, OCRBench v2's pair
from omnisynth.generators.textlayer import squash
from omnisynth.schemas.truth import Fact, GroundTruth
from omnisynth.tasks.documents import Candidate, Unsupported, evidence, grounding

TEMPLATES = {
    "en": ["Translate the paragraph that begins with '{head}' into Chinese.",
           "Translate into Chinese the paragraph starting '{head}'."],
    "zh": ["请将以“{head}”开头的段落翻译成英文。", "把以“{head}”开头的这段文字翻译成英文。"],
}
HEAD_WORDS = 6  # the paragraph's first words (en) or characters / 2 (zh) quoted in the question


def printed_paragraphs(truth: GroundTruth) -> list[Fact]:
    """Page 1's paragraphs as drawn: runs of `line` facts numbered 1, 2, ... in one section, stacked in
    one column (a paragraph flowing on into the next column is left out), each run one fact with the
    union box of its lines and their text (lines joined by a space, or nothing in Chinese and Japanese)."""
    runs: list[list[Fact | None]] = []
    for f in truth.facts:
        if f.kind != "line" or f.page != 0 or "line_no" not in f.attrs:
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and f.attrs["line_no"] == last.attrs["line_no"] + 1 \
                and f.attrs.get("section") == last.attrs.get("section"):
            if abs(f.bbox[0] - last.bbox[0]) > 2 or f.bbox[1] <= last.bbox[1]:
                runs[-1].append(None)  # the paragraph flows on into another column: not one block
            runs[-1].append(f)
        elif f.attrs["line_no"] == 1:
            runs.append([f])
    runs = [run for run in runs if None not in run]
    sep = "" if truth.language in ("zh", "ja") else " "
    return [Fact("paragraph", 0, (min(f.bbox[0] for f in run), min(f.bbox[1] for f in run),
                                  max(f.bbox[2] for f in run), max(f.bbox[3] for f in run)),
                 sep.join(f.text.strip() for f in run), {"lines": len(run)}) for run in runs]


def reference(text: str, source: str, target: str) -> str | None:
    """The handbook's `target` translation of paragraph `text` (any spacing), or None."""
    from omnisynth.generators.handbook import parallel

    return parallel(source, target).get(squash(text))


def translation_candidate(tasks) -> Candidate:
    """A `text_translation` candidate over `tasks.truth` (a `DocTasks`); raises Unsupported when page 1
    prints no whole handbook paragraph that has a translation."""
    truth = tasks.truth
    target = PAIRS.get(truth.language)
    if target is None:
        raise Unsupported(f"no translation pair for {truth.language} pages")
    found = [(p, ref) for p in printed_paragraphs(truth) for ref in [reference(p.text, truth.language, target)] if ref]
    if not found:
        raise Unsupported("no whole paragraph of page 1 has a human translation (the bundled handbook's)")
    para, answer = tasks.rng.choice(found)
    head = para.text[:HEAD_WORDS * 2] if truth.language == "zh" else " ".join(para.text.split()[:HEAD_WORDS])
    question = tasks.rng.choice(TEMPLATES[truth.language]).format(head=head)
    page = truth.page(0)
    return Candidate("text_translation", question, answer, [evidence(para, page)], [grounding(head, page, para)],
                     {"op": "translate", "target": para.text, "labels": [truth.language, target]}, [answer])
