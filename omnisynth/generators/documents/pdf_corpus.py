"""Bring-your-own PDFs: render the user's pages and take ground truth from their text layer.

The driver builds a `catalog` once (every PDF under `generator.path`, sorted, with its page
count); sample i takes page slot i modulo the number of slots, so a run is a pure function
of the folder's contents and the seed. A file that cannot be used (empty, corrupt,
encrypted without a configured password, no pages, no text layer on the page) costs one
sample, which is quarantined with the reason; the run goes on.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from omnisynth.generators import Generator
from omnisynth.generators.errors import InputError
from omnisynth.generators.textlayer import render_page
from omnisynth.generators.documents.config import PdfCorpusGenerator as PdfCorpusConfig
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import Fact, GroundTruth, SampleSpec

VERSION = "pdf_corpus/1"


@dataclass(frozen=True)
class CorpusEntry:
    path: str  # relative to the corpus root
    pages: int  # 0 when the file cannot be opened: it still takes one slot, to be quarantined
    size: int
    mtime_ns: int


def build_catalog(config: PdfCorpusConfig) -> list[CorpusEntry]:
    root = Path(config.path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix.lower() == ".pdf")
    entries = []
    for f in files:
        stat = f.stat()
        rel = f.name if root.is_file() else f.relative_to(root).as_posix()
        try:
            doc = open_pdf(f, config.passwords.get(f.name))
            pages = doc.page_count
            doc.close()
        except InputError:
            pages = 0
        if config.max_pages_per_file:
            pages = min(pages, config.max_pages_per_file)
        entries.append(CorpusEntry(rel, pages, stat.st_size, stat.st_mtime_ns))
    return entries


def catalog_fingerprint(entries: list[CorpusEntry]) -> str:
    body = "\n".join(f"{e.path}\t{e.size}\t{e.mtime_ns}\t{e.pages}" for e in entries)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


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

    def __init__(self, config: PdfCorpusConfig, task: TaskConfig, catalog: list[CorpusEntry], raw: bool = False):
        if not catalog:
            raise InputError("pdf_corpus_empty", f"no .pdf files under {config.path}")
        self.raw = raw  # pixel arrays for the degrade stage (see documents.py)
        self.config = config
        self.task = task
        self.catalog = catalog
        self.starts = []  # first slot of each file: a file with 0 pages still takes one slot
        total = 0
        for entry in catalog:
            self.starts.append(total)
            total += max(entry.pages, 1)
        self.slots = total

    def locate(self, index: int) -> tuple[CorpusEntry, int]:
        slot = index % self.slots
        i = bisect.bisect_right(self.starts, slot) - 1
        return self.catalog[i], slot - self.starts[i]

    @classmethod
    def from_recipe(cls, recipe, catalog=None) -> PdfCorpusGenerator:
        return cls(recipe.generator, recipe.task, catalog or [], raw=recipe.degrade.enabled)

    def source(self, spec: SampleSpec) -> dict:
        entry, page_no = self.locate(spec.index)
        return {"generator": self.name, "path": entry.path, "page": page_no}

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        entry, page_no = self.locate(spec.index)
        root = Path(self.config.path)
        path = root if root.is_file() else root / entry.path
        doc = open_pdf(path, self.config.passwords.get(path.name))
        try:
            page = doc[page_no]
            png, truth = render_page(page, self.config.dpi, page_no, "png", raw=self.raw)
        finally:
            doc.close()
        truth.number = 0  # the sample holds one page image; the source page goes into meta
        if len(truth.words) < self.config.min_words:
            raise InputError("page_no_text_layer", f"{entry.path} page {page_no + 1}: {len(truth.words)} words in "
                             f"the text layer (min_words={self.config.min_words}); scanned pages need OCR first")
        facts = [Fact("line", 0, box, text.strip(), {"line_no": n}) for n, (box, text) in enumerate(truth.lines)
                 if len(text.split()) >= 1 and box[2] - box[0] > 2 and box[3] - box[1] > 2]
        words = [Fact("word", 0, w[:4], w[4], {}) for w in truth.words]
        meta = {"source": entry.path, "source_page": page_no, "pages": 1, "language": "und", "generator_version": VERSION,
                "scale": self.config.dpi / 72}
        return {"png": png}, GroundTruth(self.name, "pdf", "und", [truth], facts + words, meta)
