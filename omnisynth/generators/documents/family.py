"""The document families: rendered documents (`documents`) and your own PDFs (`pdf_corpus`).

Imported by the registry (`omnisynth.families.BUILTIN`); it imports only the config models,
every other piece is named by reference and loaded where it runs.
"""

from __future__ import annotations

from omnisynth.families import Family, TaskKind, register


def _multi_page(config) -> str | None:
    return None if config.pages[1] >= 2 else "needs generator.pages with max >= 2"


def _multi_image(generator: dict) -> bool:
    return generator.get("pages", [1, 1])[1] > 1  # multi-page documents: every page image in the sample


register(Family(
    kind="documents",
    config="omnisynth.generators.documents.config:DocumentGenerator",
    generator="omnisynth.generators.documents.generator:DocumentGenerator.from_recipe",
    tasks=(
        TaskKind("doc_qa", ("region", "key_value", "table_cell", "chart_value", "unanswerable")),
        TaskKind("doc_long_qa", ("page_locate", "page_fact", "cross_page_compare", "layout_fact", "figure_fact",
                                 "multi_hop", "unanswerable"), check=_multi_page),
        TaskKind("doc_grounding", ("heading", "field_value", "table_cell", "phrase")),
        # OCRBench v2's parsing, spotting, extraction and calculation types (omnisynth.tasks.parsing):
        # whole-page answers in the benchmark's formats that only the ground truth holds, so the oracle writes them;
        # no degrade stage: a whole-page answer needs every glyph in the frame and uncovered
        TaskKind("doc_parse", ("full_page_ocr", "doc_parsing", "formula_recognition", "diagram_qa",
                               "handwritten_answer",
                               "text_spotting", "text_counting", "table_parsing", "chart_parsing",
                               "kie", "math_qa", "doc_classification", "text_translation"), model=False, degrade=False),
    ),
    writer="omnisynth.tasks.documents:oracle_writer",
    model_task="omnisynth.model.model_tasks:DocModelTask",
    filters="omnisynth.filters.verify:document_filters",
    multi_image=_multi_image,
    module=__name__,
))

def _page_unit(config) -> str | None:
    return None if config.unit == "page" else "asks about one page: needs generator.unit page (pdf_long_qa asks " \
        "about whole documents)"


def _document_unit(config) -> str | None:
    return None if config.unit == "document" else "asks across pages: needs generator.unit document"


def _unit_name(config) -> str:
    return "documents" if config.unit == "document" else "pages"


def _pdf_multi_image(generator: dict) -> bool:
    return generator.get("unit") == "document"  # every page of the PDF in the sample


register(Family(
    kind="pdf_corpus",
    config="omnisynth.generators.documents.config:PdfCorpusGenerator",
    generator="omnisynth.generators.documents.pdf_corpus:PdfCorpusGenerator.from_recipe",
    tasks=(TaskKind("pdf_qa", ("read_line", "locate_text"), check=_page_unit),
           # whole-document questions (omnisynth.tasks.pdfdoc): MMLongBench-Doc's categories over your PDFs
           TaskKind("pdf_long_qa", ("page_locate", "page_fact", "page_count", "section_order", "layout_fact",
                                    "unanswerable"), model=False, check=_document_unit)),
    writer="omnisynth.tasks.documents:oracle_writer",
    model_task="omnisynth.model.model_tasks:DocModelTask",
    filters="omnisynth.filters.verify:document_filters",
    probe="omnisynth.generators.documents.pdf_corpus:probe_pdf",
    unit=_unit_name,
    multi_image=_pdf_multi_image,
    module=__name__,
))
