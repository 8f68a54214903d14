"""Generators render media and report its ground truth: one module per source."""

from __future__ import annotations

from omnisynth.schemas.recipe import Recipe


def make_generator(recipe: Recipe, catalog=None):
    """The generator a recipe names; `catalog` is the PDF corpus listing built on the driver."""
    if recipe.generator.kind == "documents":
        from omnisynth.generators.documents import DocumentGenerator

        return DocumentGenerator(recipe.generator, recipe.task)
    from omnisynth.generators.pdf_corpus import PdfCorpusGenerator

    return PdfCorpusGenerator(recipe.generator, recipe.task, catalog or [])
