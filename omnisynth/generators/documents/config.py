"""Recipe `generator` sections of the document families: rendered documents and your PDFs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from omnisynth.schemas.base import CorpusSource, GeneratorConfig
from omnisynth.generators.fonts import HANDWRITING

FAMILIES = ("report", "invoice", "form", "table", "slide", "paper", "chart")
# opt-in families: handwriting (forms filled in by hand, notes) and scene-text boards (signs, labels, packaging)
EXTRA_FAMILIES = ("handform", "note", "sign", "label", "package")
HANDWRITING_FONTS = tuple(HANDWRITING)


class DocumentGenerator(GeneratorConfig):
    kind: Literal["documents"] = "documents"
    families: list[Literal[FAMILIES + EXTRA_FAMILIES]] = Field(  # type: ignore[valid-type]
        default=list(FAMILIES), min_length=1, description=(
            "layout families to draw from, uniformly; also handform/note (handwritten, English) and "
            "sign/label/package (scene-text boards, English; pair them with degrade.preset 'scene')"))
    handwriting: list[Literal[HANDWRITING_FONTS]] = Field(  # type: ignore[valid-type]
        default=list(HANDWRITING_FONTS), min_length=1, description=(
            "handwriting fonts for handform/note, one per document (Debian fonts-* packages; scripts/setup.sh)"))
    pages: tuple[int, int] = Field(default=(1, 1), description="[min, max] pages per document")
    dpi: int = Field(default=144, ge=36, le=600, description="render resolution of page images")
    page_sizes: list[Literal["a4", "letter"]] = Field(default=["a4", "letter"], min_length=1)
    fonts: list[Literal["helvetica", "times", "courier"]] = Field(
        default=["helvetica", "times", "courier"], min_length=1, description="Latin body fonts"
    )
    languages: dict[Literal["en", "zh"], float] = Field(
        default={"en": 0.85, "zh": 0.15}, description="language weights; zh uses the built-in CJK font"
    )

    @model_validator(mode="after")
    def _fonts_installed(self) -> DocumentGenerator:
        if {"handform", "note"} & set(self.families):
            from omnisynth.generators.fonts import handwriting_file

            for name in self.handwriting:
                try:
                    handwriting_file(name)
                except ValueError as exc:
                    raise ValueError(f"handwriting: {exc}") from None
        return self

    @field_validator("pages")
    @classmethod
    def _pages(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 50:
            raise ValueError("must be [min, max] with 1 <= min <= max <= 50")
        return v

    @field_validator("languages")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("needs at least one language with a positive weight, none negative")
        return v


class PdfCorpusGenerator(CorpusSource):
    """Your PDFs: files whose bytes are a PDF, whatever their name; units are pages."""

    kind: Literal["pdf_corpus"] = "pdf_corpus"
    dpi: int = Field(default=144, ge=36, le=600)
    max_pages_per_file: int | None = Field(default=None, ge=1, description=(
        "only the first N pages of each PDF are units (max_per_file instead draws N pages from anywhere in it)"))
    min_words: int = Field(default=5, ge=1, description="a page with fewer text-layer words is rejected")
    passwords: dict[str, str] = Field(
        default_factory=dict, description="file name -> password for encrypted PDFs; others are quarantined"
    )

