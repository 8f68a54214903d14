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
                               "kie", "math_qa", "doc_classification"), model=False, degrade=False),
    ),
    writer="omnisynth.tasks.documents:oracle_writer",
    model_task="omnisynth.model.model_tasks:DocModelTask",
    filters="omnisynth.filters.verify:document_filters",
    multi_image=_multi_image,
    module=__name__,
))

register(Family(
    kind="pdf_corpus",
    config="omnisynth.generators.documents.config:PdfCorpusGenerator",
    generator="omnisynth.generators.documents.pdf_corpus:PdfCorpusGenerator.from_recipe",
    tasks=(TaskKind("pdf_qa", ("read_line", "locate_text")),),
    writer="omnisynth.tasks.documents:oracle_writer",
    model_task="omnisynth.model.model_tasks:DocModelTask",
    filters="omnisynth.filters.verify:document_filters",
    probe="omnisynth.generators.documents.pdf_corpus:probe_pdf",
    unit="pages",
    module=__name__,
))
