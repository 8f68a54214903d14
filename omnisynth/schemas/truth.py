"""What flows between stages: the sample spec, the rendered media and its ground truth.

These are plain dataclasses (not shard contracts): they travel pickled inside one Ray Data
column between our own stages, so they favour cheap construction over validation.
Coordinates are image pixels of the rendered page, origin top-left.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SampleSpec:
    """One row of work: a sample is a pure function of (recipe, seed, index, engine output)."""

    recipe: str
    seed: int
    index: int
    shard: int

    @property
    def key(self) -> str:
        return f"{self.recipe}-s{self.seed}-{self.index:09d}"

    def rng(self, stream: str = "") -> random.Random:
        """A private random stream for this sample; `stream` separates independent uses."""
        digest = hashlib.sha256(f"{self.seed}:{self.index}:{stream}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class Fact:
    """A semantic element the generator placed: the source of questions and their truth.

    kind: title | heading | paragraph | line | kv | cell | chart_mark | caption | word
    attrs carry the element's structure: key/value for kv, row/col headers for cells,
    series/category/value for chart marks, section for paragraphs.
    """

    kind: str
    page: int
    bbox: Box
    text: str
    attrs: dict = field(default_factory=dict)
    # where the box's corners landed when the page was degraded (top-left, top-right,
    # bottom-right, bottom-left); None: not degraded, the quad is the box's corners
    quad: tuple | None = None

    @property
    def corners(self) -> list[list[float]]:
        if self.quad is not None:
            return [[float(x), float(y)] for x, y in self.quad]
        x0, y0, x1, y1 = self.bbox
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


@dataclass
class PageTruth:
    number: int
    member: str  # tar member extension of this page's image
    width: int
    height: int
    chars: list[tuple[float, float, float, float, str]]  # every glyph incl. spaces, reading order
    words: list[tuple[float, float, float, float, str]]
    lines: list[tuple[Box, str]]
    blocks: list[tuple[Box, str]] = field(default_factory=list)
    contrast: float = -1.0  # grey-level spread measured while rendering; -1: not measured
    # degraded pages: the homography (3x3 rows) from the rendered page to this frame, the
    # rendered page's own text layer (exact text reading: a frame box maps back through the
    # inverse), and the overlays drawn over the frame (polygons that cover what is under them)
    frame: list | None = None
    clean: PageTruth | None = None
    covers: list = field(default_factory=list)


@dataclass
class GroundTruth:
    generator: str
    family: str
    language: str
    pages: list[PageTruth]
    facts: list[Fact]
    meta: dict = field(default_factory=dict)
    clip: object = None  # audio-visual: the generator's ClipTruth (plan, measured media)

    def page(self, number: int) -> PageTruth:
        return self.pages[number]


@dataclass
class Rejection:
    stage: str
    reason: str  # short, stable, countable: 'answer_not_under_evidence'
    detail: str = ""


@dataclass
class WorkItem:
    """Everything known about one sample as it moves through the pipeline."""

    spec: SampleSpec
    media: dict[str, bytes] = field(default_factory=dict)  # member extension -> bytes
    truth: GroundTruth | None = None
    sample: dict | None = None  # candidate Sample as a JSON-ready dict
    rejection: Rejection | None = None
    source: dict = field(default_factory=dict)  # what a rejected item came from, for quarantine
    filter_log: list[tuple[str, bool, str]] = field(default_factory=list)  # (filter, kept, reason)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage, this item's share
    tokens: dict[str, list[int]] = field(default_factory=dict)  # model calls per purpose: [prompt, completion, calls]
    request: object = None  # model engines: the pending model call (model_tasks.Request)
    reply: object = None  # ... and its answer (openai_client.Reply)
    model_reply: dict | None = None  # the model's parsed annotation, kept for a preference pair
    pair: dict | None = None  # a rejected model candidate with its verified counterpart (DPO)

    def reject(self, stage: str, reason: str, detail: str = "") -> None:
        self.rejection = Rejection(stage, reason, detail[:2000])

    def log(self, stage: str, keep: bool | None = None, reason: str | None = None) -> None:
        """Record one stage's or filter's verdict in `filter_log` (the manifest counts them per name):
        by default whether the item is still live and, if not, its rejection reason."""
        if keep is None:
            keep = self.rejection is None
        if reason is None:
            reason = self.rejection.reason if self.rejection else ""
        self.filter_log.append((stage, keep, reason))
