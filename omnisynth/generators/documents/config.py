"""Recipe `generator` sections of the document families: rendered documents and your PDFs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from omnisynth.schemas.base import Cfg, CorpusSource, GeneratorConfig, language_weights
from omnisynth.generators.fonts import HANDWRITING

FAMILIES = ("report", "invoice", "form", "table", "slide", "paper", "chart", "receipt", "statement", "payslip", "bill",
            "newspaper", "magazine", "menu", "certificate", "poster", "grouped_table", "plot", "math", "diagram")
# opt-in families: handwriting (forms filled in by hand, notes) and scene-text boards (signs, labels, packaging)
EXTRA_FAMILIES = ("handform", "note", "answer_sheet", "sign", "label", "package")
# long documents of MMLongBench-Doc's seven types (omnisynth.generators.documents.longdoc), 4+ pages
LONG_FAMILIES = ("research_report", "tutorial", "academic_paper", "guidebook", "brochure", "admin_file",
                 "financial_report")
HANDWRITING_FONTS = tuple(HANDWRITING)


LANGUAGES = ("en", "zh", "ja", "ko", "de", "fr", "es")


class ContentConfig(Cfg):
    """Where a document's running text comes from (omnisynth.generators.prose); entities (people,
    companies, addresses, phone numbers, emails, account numbers) come from Faker in the page's locale."""

    path: str = Field(default="", description=(
        "your text corpus: a .txt/.md/.jsonl/.json/.parquet file or a folder of them, local or a pyarrow URI "
        "(s3://, gs://, hdfs://); empty: the bundled Debian Administrator's Handbook in the page's language"))
    field: str = Field(default="text", min_length=1, description="JSONL/JSON/Parquet: the field holding a section's text")
    title_field: str | None = Field(default=None, description="JSONL/JSON/Parquet: the field holding its heading")

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str) -> str:
        if v and "://" not in v:
            p = Path(v).expanduser()
            if not p.exists():
                raise ValueError(f"{v!r} does not exist")
            return str(p.resolve())
        return v


class DocumentGenerator(GeneratorConfig):
    kind: Literal["documents"] = "documents"
    families: list[Literal[FAMILIES + EXTRA_FAMILIES + LONG_FAMILIES]] = Field(  # type: ignore[valid-type]
        default=list(FAMILIES), min_length=1, description=(
            "layout families to draw from, uniformly; also handform/note (handwritten, English), "
            "sign/label/package (scene-text boards, English; pair them with degrade.preset 'scene') and the "
            "long-document types research_report/tutorial/academic_paper/guidebook/brochure/admin_file/"
            "financial_report (cover, contents, chapters, running headers; need pages min >= 4)"))
    handwriting: list[Literal[HANDWRITING_FONTS]] = Field(  # type: ignore[valid-type]
        default=list(HANDWRITING_FONTS), min_length=1, description=(
            "handwriting fonts for handform/note, one per document (Debian fonts-* packages; scripts/setup.sh)"))
    pages: tuple[int, int] = Field(default=(1, 1), description="[min, max] pages per document")
    dpi: int = Field(default=144, ge=36, le=600, description="render resolution of page images")
    max_sample_pixels: int = Field(default=0, ge=0, description=(
        "page-image budget: all page images of one sample together stay within this many pixels, so a long "
        "document fits a model's image-token budget; a document whose pages at `dpi` would exceed it is "
        "rendered at the dpi that fits (never below min_dpi), recorded as meta.scale (pixels per PDF point); "
        "0: every document at `dpi`"))
    min_dpi: int = Field(default=36, ge=18, le=600, description="the lowest dpi the page-image budget may choose")
    page_sizes: list[Literal["a4", "letter"]] = Field(default=["a4", "letter"], min_length=1)
    fonts: list[Literal["helvetica", "times", "courier"]] = Field(
        default=["helvetica", "times", "courier"], min_length=1, description="Latin body fonts"
    )
    languages: dict[Literal[LANGUAGES], float] = Field(  # type: ignore[valid-type]
        default={"en": 0.85, "zh": 0.15}, description=(
            "language weights; zh/ja/ko use PyMuPDF's built-in CJK fonts, de/fr/es the Latin body fonts"))
    content: ContentConfig = Field(default_factory=ContentConfig, description="running text and entities")

    @model_validator(mode="after")
    def _prose_readable(self) -> DocumentGenerator:
        """Refuse up front a corpus (or the bundled handbook) with no renderable text in a language asked for."""
        from omnisynth.generators.handbook import HANDBOOK, HANDBOOK_LOCALES
        from omnisynth.generators.prose import prose_for

        for language, weight in self.languages.items():
            if weight <= 0:
                continue
            if not self.content.path:
                if not (HANDBOOK / HANDBOOK_LOCALES[language] / "index.html").is_file():
                    raise ValueError(f"content: the bundled prose is not installed ({HANDBOOK}; Debian package "
                                     "debian-handbook, installed by scripts/setup.sh)")
                continue
            try:
                prose_for("corpus", language, self.content.path, self.content.field, self.content.title_field)
            except (OSError, ValueError) as exc:
                raise ValueError(str(exc) if str(exc).startswith("content.") else f"content: {exc}") from None
        return self

    @model_validator(mode="after")
    def _dot_installed(self) -> DocumentGenerator:
        import shutil

        if "diagram" in self.families and shutil.which("dot") is None:
            raise ValueError("families: diagram needs Graphviz's dot: apt-get install graphviz (scripts/setup.sh "
                             "does), or leave diagram out of generator.families")
        return self

    @model_validator(mode="after")
    def _fonts_installed(self) -> DocumentGenerator:
        if {"handform", "note", "answer_sheet"} & set(self.families):
            from omnisynth.generators.fonts import handwriting_file

            from omnisynth.generators.fonts import CJK_HAND_LANGUAGES, CJK_HANDWRITING

            cjk = list(CJK_HANDWRITING) if set(CJK_HAND_LANGUAGES) & set(self.languages) else []
            for name in [*self.handwriting, *cjk]:
                try:
                    handwriting_file(name)
                except ValueError as exc:
                    raise ValueError(f"handwriting: {exc}") from None
        return self

    @field_validator("pages")
    @classmethod
    def _pages(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 200:
            raise ValueError("must be [min, max] with 1 <= min <= max <= 200")
        return v

    @model_validator(mode="after")
    def _long_pages(self) -> DocumentGenerator:
        long = [f for f in self.families if f in LONG_FAMILIES]
        if long and self.pages[0] < 4:
            raise ValueError(f"families: {', '.join(long)}: long documents (cover, contents, chapters) need "
                             f"generator.pages min >= 4, got {list(self.pages)}; recipe doc_long_qa makes them")
        return self

    @field_validator("languages")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        return language_weights(v)


MAX_DOCUMENT_PAGES = 120  # unit "document" without max_pages_per_file: MMLongBench-Doc's longest documents


class PdfCorpusGenerator(CorpusSource):
    """Your PDFs: files whose bytes are a PDF, whatever their name; units are pages, or whole documents."""

    kind: Literal["pdf_corpus"] = "pdf_corpus"
    unit: Literal["page", "document"] = Field(default="page", description=(
        "page: a sample is one page; document: a sample holds every page of one PDF (the first "
        "max_pages_per_file, 120 when unset) within max_sample_pixels, for whole-document questions (pdf_long_qa)"))
    dpi: int = Field(default=144, ge=36, le=600)
    max_pages_per_file: int | None = Field(default=None, ge=1, description=(
        "only the first N pages of each PDF are units (max_per_file instead draws N pages from anywhere in it)"))
    min_pages: int = Field(default=2, ge=1, description="unit document: a PDF with fewer pages is unusable")
    max_sample_pixels: int = Field(default=24_000_000, ge=0, description=(
        "unit document: all page images of a sample together stay within this many pixels (the dpi is lowered "
        "to fit, never below min_dpi; meta.scale records it); 0: every page at dpi"))
    min_dpi: int = Field(default=36, ge=18, le=600, description="the lowest dpi the page-image budget may choose")
    min_words: int = Field(default=5, ge=1, description="a page with fewer text-layer words is rejected")
    passwords: dict[str, str] = Field(
        default_factory=dict, description="file name -> password for encrypted PDFs; others are quarantined"
    )

