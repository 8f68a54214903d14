"""Synthetic documents rendered with PyMuPDF, with ground truth read back from PyMuPDF.

`plan()` picks the question type the sample is for (from the task's weights), a layout
family that can support it, language, font and page size, and lays out every page on a
`Canvas`. `render()` paints the plan into a PDF, renders each page to PNG at the recipe's
DPI and takes glyph, word, line and block boxes from PyMuPDF's text layer. Every fact the
layout placed is then re-measured from those glyphs, so the boxes in a sample are what
PyMuPDF reports, not what the layout intended; a fact whose glyphs do not read back as its
text is an error, never a silently wrong label.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pymupdf

from omnisynth.generators.content import Content
from omnisynth.generators.prose import prose_for
from omnisynth.generators.documents.canvas import HAND_PREFIX, PAGE_SIZES, Canvas, paint
from omnisynth.generators.fonts import CJK_HAND_LANGUAGES, CJK_HANDWRITING
from omnisynth.generators.documents.layouts import (CONTINUATIONS, FAMILIES, HAND_FAMILIES, PROVIDES, SCENE_FAMILIES,
                                              header_footer)
from omnisynth.generators import Generator
from omnisynth.generators.errors import GroundTruthError
from omnisynth.generators.documents.density import density
from omnisynth.generators.documents.config import LONG_FAMILIES, DocumentGenerator as DocumentConfig
from omnisynth.generators.documents.longdoc import compose
from omnisynth.generators.documents.diagrams import LATIN as DIAGRAM_LANGUAGES
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.generators.textlayer import CharIndex, render_page, scaled, squash
from omnisynth.schemas.truth import Fact, GroundTruth, PageTruth, SampleSpec

VERSION = "documents/2"  # 2: running text from real prose, entities from Faker, seven languages

# families printed on their own paper (PAGE_SIZES), not generator.page_sizes
OWN_SIZE = ("slide", "receipt", "certificate", *SCENE_FAMILIES)
# doc_long_qa question types -> families whose documents can carry them
LONG_PROVIDES = {
    "page_locate": {"report", "paper", "slide", "newspaper", "magazine", *LONG_FAMILIES},
    "page_fact": {"invoice", "table", "chart", "plot", "form", "report", "slide", "statement", "payslip", "bill",
                  "research_report", "tutorial", "academic_paper", "guidebook", "brochure", "admin_file",
                  "financial_report"},
    "cross_page_compare": {"table", "chart", "report", "invoice", "grouped_table", "research_report", "academic_paper",
                           "financial_report", "admin_file"},
    "layout_fact": set(LONG_FAMILIES),
    "figure_fact": set(LONG_FAMILIES),  # compose draws the figure the question needs
    "multi_hop": {"table", "invoice", "grouped_table", "statement", "research_report", "academic_paper",
                  "financial_report", "admin_file"},
}

# doc_parse question types -> families whose first page can carry them (full_page_ocr, text_counting and
# doc_classification: every family)
PARSE_PROVIDES = {
    "formula_recognition": {"math"},
    "diagram_qa": {"diagram"},
    "handwritten_answer": {"answer_sheet"},
    "doc_parsing": {"math", "report", "paper", "newspaper", "magazine", "invoice", "form", "table", "grouped_table",
                    "statement", "payslip", "receipt", "menu", "certificate", "poster"},
    "text_spotting": {"slide", "certificate", "poster", "sign", "label", "package"},
    "table_parsing": {"table", "grouped_table", "invoice", "statement", "payslip", "bill"},
    "chart_parsing": {"chart", "slide", "plot"},
    "kie": {"invoice", "form", "receipt", "payslip", "bill", "statement", "certificate", "poster", "handform",
            "sign", "label", "package"},
    "math_qa": {"table", "grouped_table", "invoice", "statement", "payslip", "bill"},
    # whole handbook paragraphs (omnisynth.tasks.translation)
    "text_translation": {"report", "paper", "table", "grouped_table", "chart", "plot", "poster", "math", "diagram",
                         "newspaper", "magazine"},
}


@dataclass
class DocPlan:
    family: str
    language: str
    font: str
    question_type: str
    pages: list[Canvas]
    text_sources: list[str]  # '<prose>/<section ref>' of each section the running text was read from, in order
    text_licence: str
    dpi: int  # the page images' resolution: the recipe's dpi, or lower to keep within max_sample_pixels


def weighted(rng, weights: dict[str, float]) -> str:
    names = sorted(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def member_names(max_pages: int) -> list[str]:
    """Tar members for page images: 'png' when a recipe makes single pages, else p000.png..."""
    return ["png"] if max_pages == 1 else [f"p{i:03d}.png" for i in range(max_pages)]


@lru_cache(maxsize=1)
def blank_png() -> bytes:
    """The neutral member for a page a shorter document lacks (1x1 white)."""
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 1, 1), False)
    pix.set_rect(pix.irect, (255, 255, 255))
    return pix.tobytes("png")


class DocumentGenerator(Generator):
    name = "documents"
    version = VERSION

    def __init__(self, config: DocumentConfig, task: TaskConfig, raw: bool = False):
        self.config = config
        self.task = task
        self.raw = raw  # pages as pixel arrays for the degrade stage, which encodes them

    @classmethod
    def from_recipe(cls, recipe, catalog=None) -> DocumentGenerator:
        return cls(recipe.generator, recipe.task, raw=recipe.degrade.enabled)

    def source(self, spec: SampleSpec) -> dict:
        return {"generator": self.name, "seed": spec.seed, "index": spec.index}

    def plan(self, spec: SampleSpec) -> DocPlan:
        cfg = self.config
        rng = spec.rng("plan")
        qtype = weighted(rng, self.task.weights())
        provides = {"doc_long_qa": LONG_PROVIDES, "doc_parse": PARSE_PROVIDES}.get(self.task.kind, {}).get(qtype)
        if self.task.kind == "doc_parse" and provides is None:
            provides = set(cfg.families)
        supporting = provides if provides is not None else {f for f in PROVIDES if qtype in PROVIDES[f]}
        fits = [f for f in cfg.families if f in supporting]
        family = rng.choice(fits or list(cfg.families))
        language = weighted(rng, cfg.languages)
        font = rng.choice(cfg.fonts)
        hand = ""
        cjk_hand = family in HAND_FAMILIES and language in CJK_HAND_LANGUAGES
        if family in HAND_FAMILIES + SCENE_FAMILIES and not cjk_hand:  # Latin-only fonts and English labels
            language = "en"
        if family == "diagram" and language not in DIAGRAM_LANGUAGES:  # dot's fonts are Latin-only
            language = "en"
        if family in HAND_FAMILIES:
            hand = HAND_PREFIX + (next(iter(CJK_HANDWRITING)) if cjk_hand else rng.choice(cfg.handwriting))
        size_name = family if family in OWN_SIZE else rng.choice(cfg.page_sizes)
        width, height = PAGE_SIZES[size_name]
        lo, hi = cfg.pages
        n_pages = rng.randint(max(lo, 2) if self.task.kind == "doc_long_qa" else lo, hi)
        text = cfg.content
        prose = prose_for("corpus" if text.path else "handbook", language, text.path, text.field, text.title_field)
        if qtype == "text_translation" and not text.path:  # paragraphs the handbook's translators paired
            from omnisynth.generators.handbook import translated

            prose = translated(language)
        content = Content(spec.rng("content"), language, prose)
        title = content.title()
        body = rng.choice([9.5, 10, 10.5, 11])
        pages = []
        if family in LONG_FAMILIES:
            need = {"figure_fact": ("figure",), "multi_hop": ("table", "table")}.get(qtype, ())
            pages = compose(family, content, content.rng, title, width, height, font, body, n_pages, need)
        for number in range(0 if family in LONG_FAMILIES else n_pages):
            kind = family if number == 0 else rng.choice(CONTINUATIONS[family])
            cv = Canvas(width, height, number, language, font, hand)
            FAMILIES[kind](cv, content, content.rng, title, body)
            header_footer(cv, content, n_pages, title, kind)
            pages.append(cv)
        return DocPlan(family, language, hand[len(HAND_PREFIX):] if hand else font, qtype, pages,
                       [prose.name + ("" if ref.startswith("#") else "/") + ref for ref in content.reader.used],
                       prose.licence, self.page_dpi(pages))

    def page_dpi(self, pages: list[Canvas]) -> int:
        """The recipe's dpi, or the whole dpi at which these pages' images together stay within
        max_sample_pixels (never below min_dpi)."""
        cfg = self.config
        return fit_dpi([(cv.width, cv.height) for cv in pages], cfg.dpi, cfg.max_sample_pixels, cfg.min_dpi)

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        plan = self.plan(spec)
        doc = pymupdf.open()
        media, pages, facts = {}, [], []
        members = member_names(self.config.pages[1])
        for cv, member in zip(plan.pages, members, strict=False):
            page = doc.new_page(width=cv.width, height=cv.height)
            paint(page, cv.ops)
            png, truth = render_page(page, plan.dpi, cv.page, member, raw=self.raw)
            media[member] = png
            pages.append(truth)
            facts.extend(resolve_facts(cv.facts, truth, plan.dpi / 72))
        doc.close()
        # Every sample of a recipe carries the same members (Hugging Face's loader demands
        # it): pages past this document's end are blank; `media` in the JSON lists the real ones.
        media.update((member, blank_png()) for member in members[len(pages):])
        meta = {"family": plan.family, "language": plan.language, "font": plan.font,
                "pages": len(pages), "question_type": plan.question_type, "generator_version": VERSION,
                "scale": plan.dpi / 72, "text_sources": plan.text_sources, "text_licence": plan.text_licence,
                "density": density(plan.pages, pages, plan.dpi / 72)}
        return media, GroundTruth(self.name, plan.family, plan.language, pages, facts, meta)


def fit_dpi(sizes: list[tuple[float, float]], dpi: int, max_pixels: int, min_dpi: int) -> int:
    """The largest whole dpi <= `dpi` at which pages of these sizes (PDF points) render within
    `max_pixels` pixels together, never below `min_dpi`; `dpi` when `max_pixels` is 0."""
    if not max_pixels:
        return dpi
    points = sum(w * h for w, h in sizes)  # square points; pixels = points x (dpi/72)^2
    fit = int(72 * (max_pixels / points) ** 0.5)
    while fit > min_dpi and sum(round(w * fit / 72) * round(h * fit / 72) for w, h in sizes) > max_pixels:
        fit -= 1  # rounding each page's size up may cross the budget by a pixel row
    return max(min_dpi, min(dpi, fit))


def resolve_facts(facts: list[Fact], page: PageTruth, scale: float) -> list[Fact]:
    """Replace each planned box by the union of the glyph boxes PyMuPDF reports inside it."""
    index = CharIndex(page)
    out = []
    for fact in facts:
        box = scaled(fact.bbox, scale)
        if fact.attrs.get("shape"):
            out.append(Fact(fact.kind, fact.page, box, fact.text, fact.attrs))
            continue
        hits = index.inside(box, pad=scale * 0.5)
        if squash("".join(c[4] for c in hits)) != squash(fact.text):
            raise GroundTruthError(f"page {page.number}: {fact.kind} {fact.text!r} reads back as "
                                   f"{''.join(c[4] for c in hits)!r}")
        exact = (min(c[0] for c in hits), min(c[1] for c in hits), max(c[2] for c in hits), max(c[3] for c in hits))
        out.append(Fact(fact.kind, fact.page, exact, fact.text, fact.attrs))
    return out
