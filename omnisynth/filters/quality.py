"""Quality: blank or washed-out images, an answer written out in its own question, text out of bounds.

Cheap checks that need no ground truth, so they judge every sample the same way (oracle,
model or your own inputs). Contrast is the spread of grey levels between the 0.1th and
99.9th percentile of an image (measured while rendering where the generator holds the
pixels, else decoded), so a white page with one line of ink passes and a blank or uniformly
grey image does not; a sample is blank when all its images are.
"""

from __future__ import annotations

import io

import numpy as np

from omnisynth.filters.base import KEEP, Filter, Verdict
from omnisynth.generators.textlayer import squash
from omnisynth.schemas.truth import WorkItem

# questions that name their answer among options ("which is larger: A or B?")
CHOICE = {("argmax", ""), ("earliest", ""), ("timeline", "order"), ("classify", "")}


def contrast(data: bytes) -> float:
    from PIL import Image

    from omnisynth.generators.textlayer import grey_spread

    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (im.width // 4, im.height // 4))  # JPEG decodes at 1/4 scale; PNG decodes whole
        grey = np.asarray(im.convert("L"))
    return grey_spread(grey[::2, ::2])


class QualityFilter(Filter):
    name = "quality"

    def __init__(self, cfg, check_blank: bool = True):
        """`cfg`: the recipe's `filters.quality`; `check_blank`: the family's `Family.check_blank`
        (False: `images: auto` skips the blank-image check, the renderer proved every target painted)."""
        self.cfg = cfg
        self.images = cfg.images == "all" or (cfg.images == "auto" and check_blank)

    def check(self, item: WorkItem) -> Verdict:
        s, cfg = item.sample, self.cfg
        answer, question = s["answer"], s["question"]
        if len(answer.strip()) < cfg.min_answer_chars:
            return False, "answer_too_short", f"{len(answer.strip())} characters < {cfg.min_answer_chars}"
        if len(answer) > cfg.max_answer_chars:
            return False, "answer_too_long", f"{len(answer)} characters > {cfg.max_answer_chars}"
        if len(question.strip()) < 3:
            return False, "question_too_short", f"question {question!r}"
        if len(question) > cfg.max_question_chars:
            return False, "question_too_long", f"{len(question)} characters > {cfg.max_question_chars}"
        d = s["derivation"]
        choice = (d["op"], "") in CHOICE or (d["op"], d["relation"]) in CHOICE
        if cfg.answer_leak and not choice and len(squash(answer)) >= 5 and squash(answer) in squash(question):
            return False, "answer_in_question", f"the question spells out its answer {answer[:80]!r}"
        if not self.images:
            return KEEP
        images = [m["member"] for m in s["media"] if m["modality"] == "image" and m["member"] in item.media]
        measured = {p.member: p.contrast for p in (item.truth.pages if item.truth else []) if p.contrast >= 0}
        spreads = []
        for image in images:  # blank when every image is (a clip may fade in from black)
            spreads.append(measured[image] if image in measured else contrast(item.media[image]))
            if spreads[-1] >= cfg.min_image_contrast:
                return KEEP
        if images:
            return False, "image_blank", (f"{len(images)} image(s), grey levels span at most {max(spreads):.1f} "
                                          f"< {cfg.min_image_contrast}")
        return KEEP
