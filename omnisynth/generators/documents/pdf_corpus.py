"""Bring-your-own PDFs: render the user's pages and take ground truth from their text layer.

Every file under `generator.path` is probed once before any sample (`probe_pdf`, through
`omnisynth.generators.corpus`): a PDF by its bytes, whatever its name; its units are its pages
(the first `max_pages_per_file`). A file that cannot be used (empty, not a PDF, corrupt,
encrypted without a configured password, no pages, no text layer: a scan) is reported once in
`inventory.jsonl` and never sampled. Samples are spread over the files by the inventory's
seeded order; a page of a usable file that still fails (too few words) costs its sample,
quarantined with the reason.

With `generator.unit: document` a unit is a whole file (its first `max_pages_per_file` pages, 120
when unset; at least `min_pages`): the sample holds every page image, at the dpi that keeps them
within `max_sample_pixels`, and the ground truth adds the headings and captions the text layer
confirms (`documents.outline`) for whole-document questions (`pdf_long_qa`).
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from omnisynth.generators import Generator
from omnisynth.generators.corpus import Inventory, Probe, read_head, sniff
from omnisynth.generators.errors import InputError
from omnisynth.generators.documents.painted import Ink, check_glyphs
from omnisynth.generators.documents.density import pdf_density
from omnisynth.generators.documents.config import MAX_DOCUMENT_PAGES
from omnisynth.generators.documents.generator import blank_png, fit_dpi, member_names
from omnisynth.generators.documents.outline import structure
from omnisynth.generators.textlayer import render_page, text_layer
from omnisynth.generators.documents.config import PdfCorpusGenerator as PdfCorpusConfig
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import Fact, GroundTruth, SampleSpec

VERSION = "pdf_corpus/3"  # 2: text that is not painted is no evidence; unreadable text layers are refused; 3: unit document


def probe_pdf(config: PdfCorpusConfig, path: Path) -> Probe:
    """A file's pages as units, or why it has none (`pdf_empty_file`, `not_pdf`, the `open_pdf` reasons,
    `pdf_damaged`, `pdf_no_text_layer`).

    A file whose text the ground truth cannot use is told from one with a few text-free pages
    by its first, middle and last unit pages, counted as rendering counts them (painted words
    of left-to-right lines; `documents.painted.Ink` without the pixels): when none holds
    `min_words` words, the file is a scan, invisible text (OCR layers too: not evidence) or
    vertical text only. Single pages are checked again, against their pixels, when rendered.
    """
    head = read_head(path, 1024)
    if not head:
        return Probe(reason="pdf_empty_file", detail=f"{path.name}: the file is empty (0 bytes)", kind="pdf")
    what = sniff(head)
    if what != "a PDF document":
        return Probe(reason="not_pdf", detail=f"{path.name}: not a PDF ({what or 'unrecognised bytes'})")
    try:
        doc = open_pdf(path, config.passwords.get(path.name))
    except InputError as exc:
        return Probe(reason=exc.reason, detail=str(exc), kind="pdf")
    try:
        pages = doc.page_count
        n = min(pages, config.max_pages_per_file or pages)
        looked = list(dict.fromkeys((0, n // 2, n - 1)))
        words = []
        for i in looked:
            if words and max(words) >= config.min_words:
                break  # one page with text is enough: the rest is checked when rendered
            try:
                page = doc[i]
                ink = Ink()  # not rendered: invisible and transparent spans only (see documents.painted)
                layer = text_layer(page, 1.0, i, "png", page.rect.width, page.rect.height, ink)
                words.append(sum(len(text.split()) for _, text in layer.lines))  # left-to-right lines only
            except (RuntimeError, ValueError) as exc:  # MuPDF cannot build the page
                return Probe(reason="pdf_damaged", detail=f"{path.name}: page {i + 1} cannot be read: {exc}",
                             kind="pdf", info={"pages": pages})
        if max(words) < config.min_words:
            where = "page 1 holds" if n == 1 else f"pages {', '.join(str(i + 1) for i in sorted(looked))} hold"
            return Probe(reason="pdf_no_text_layer", kind="pdf", info={"pages": pages}, detail=(
                f"{path.name}: {where} {max(words)} readable text-layer words at most (min_words="
                f"{config.min_words}): a scan, text in invisible mode (an OCR layer is not evidence either) "
                "or vertical text only"))
        if config.unit == "document":
            if n < config.min_pages:
                return Probe(reason="pdf_too_short", kind="pdf", info={"pages": pages}, detail=(
                    f"{path.name}: {n} page{'s' * (n != 1)} (min_pages={config.min_pages}): unit document asks "
                    "questions across pages"))
            return Probe(units=(0,), kind="pdf", info={"pages": pages, "unit_pages": n})
        return Probe(units=tuple(range(n)), kind="pdf", info={"pages": pages})
    finally:
        doc.close()


def open_pdf(path: Path, password: str | None) -> pymupdf.Document:
    if path.stat().st_size == 0:
        raise InputError("pdf_empty_file", f"{path.name}: the file is empty (0 bytes)")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        raise InputError("pdf_unreadable", f"{path.name}: PyMuPDF cannot open it: {exc}") from None
    if doc.needs_pass and not (password and doc.authenticate(password)):
        doc.close()
        why = "the configured password is wrong" if password else "set generator.passwords to read it"
        raise InputError("pdf_encrypted", f"{path.name}: encrypted; {why}")
    if doc.page_count == 0:
        doc.close()
        raise InputError("pdf_no_pages", f"{path.name}: no pages (truncated or damaged beyond repair)")
    return doc


class PdfCorpusGenerator(Generator):
    name = "pdf_corpus"
    version = VERSION

    def __init__(self, config: PdfCorpusConfig, task: TaskConfig, inventory: Inventory, raw: bool = False):
        if inventory is None or not inventory.units:
            raise InputError("pdf_corpus_empty", f"no usable PDF pages under {config.path} (see inventory.jsonl)")
        self.raw = raw  # pixel arrays for the degrade stage (see documents.py)
        self.config = config
        self.task = task
        self.inventory = inventory

    @classmethod
    def from_recipe(cls, recipe, catalog=None) -> PdfCorpusGenerator:
        return cls(recipe.generator, recipe.task, catalog, raw=recipe.degrade.enabled)

    def source(self, spec: SampleSpec) -> dict:
        entry, page_no = self.inventory.locate(spec.index)
        return {"generator": self.name, "path": entry.path, "page": page_no}

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        if self.config.unit == "document":
            return self.render_document(spec)
        entry, page_no = self.inventory.locate(spec.index)
        path = self.inventory.file(entry)
        doc = open_pdf(path, self.config.passwords.get(path.name))
        try:
            page = doc[page_no]
            ink = Ink()  # text that is not painted on the image is no evidence
            png, truth = render_page(page, self.config.dpi, page_no, "png", raw=self.raw, ink=ink)
            check_glyphs(page, f"{entry.path} page {page_no + 1}")  # text_layer_unreadable
            measured = pdf_density(page, truth, self.config.dpi / 72)
        finally:
            doc.close()
        truth.number = 0  # the sample holds one page image; the source page goes into meta
        if len(truth.words) < self.config.min_words:
            unpainted = f", {ink.dropped} more not painted (invisible, background-coloured or covered)" * bool(ink.dropped)
            raise InputError("page_no_text_layer", f"{entry.path} page {page_no + 1}: {len(truth.words)} words in "
                             f"the text layer{unpainted} (min_words={self.config.min_words}): a scanned page has no "
                             "text to check answers against")
        facts = [Fact("line", 0, box, text.strip(), {"line_no": n}) for n, (box, text) in enumerate(truth.lines)
                 if len(text.split()) >= 1 and box[2] - box[0] > 2 and box[3] - box[1] > 2]
        words = [Fact("word", 0, w[:4], w[4], {}) for w in truth.words]
        meta = {"source": entry.path, "source_page": page_no, "pages": 1, "language": "und", "generator_version": VERSION,
                "scale": self.config.dpi / 72, "density": measured}
        return {"png": png}, GroundTruth(self.name, "pdf", "und", [truth], facts + words, meta)

    def render_document(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        """Every page of one PDF (the first max_pages_per_file, or 120) as p000.png, p001.png, ... within
        the page-image budget; pages past the document's end are blank members (one member set per
        recipe, as the synthetic documents do). Raises InputError: `text_layer_unreadable` when any
        page's text layer names other characters than it shows, `document_no_text_layer` when the
        pages hold fewer than min_words painted words in all."""
        cfg = self.config
        entry, _ = self.inventory.locate(spec.index)
        path = self.inventory.file(entry)
        members = member_names(cfg.max_pages_per_file or MAX_DOCUMENT_PAGES)
        doc = open_pdf(path, cfg.passwords.get(path.name))
        try:
            n = min(doc.page_count, len(members))
            dpi = fit_dpi([(doc[i].rect.width, doc[i].rect.height) for i in range(n)], cfg.dpi,
                          cfg.max_sample_pixels, cfg.min_dpi)
            media, rendered = {}, []
            for i, member in zip(range(n), members, strict=False):
                page = doc[i]
                png, truth = render_page(page, dpi, i, member, ink=Ink())
                check_glyphs(page, f"{entry.path} page {i + 1}")  # text_layer_unreadable
                media[member] = png
                rendered.append((page, truth))
            facts = structure(rendered, doc.get_toc(), dpi / 72)
        finally:
            doc.close()
        pages = [truth for _, truth in rendered]
        words = sum(len(text.split()) for p in pages for _, text in p.lines)  # left-to-right lines: what questions read
        if words < cfg.min_words:
            raise InputError("document_no_text_layer", f"{entry.path}: {words} painted words in horizontal text-layer "
                             f"lines in {n} pages (min_words={cfg.min_words}): a scan, vertical text only, or nothing "
                             "to check answers against")
        media.update((member, blank_png()) for member in members[n:])
        facts += [Fact("line", p.number, box, text.strip(), {"line_no": k}) for p in pages
                  for k, (box, text) in enumerate(p.lines) if text.strip() and box[2] - box[0] > 2 and box[3] - box[1] > 2]
        meta = {"source": entry.path, "source_page": 0, "pages": n, "pages_total": entry.probe.info.get("pages", n),
                "language": "und", "generator_version": VERSION, "scale": dpi / 72}
        return media, GroundTruth(self.name, "pdf", "und", pages, facts, meta)
