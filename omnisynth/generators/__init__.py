"""Generators render media and report its ground truth: one module per source."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the recipe schema imports generators.fonts: no import cycle at run time
    from omnisynth.schemas.recipe import Recipe


def make_generator(recipe: Recipe, catalog=None):
    """The generator a recipe names; `catalog` is the corpus listing (PDF, HTML, video) built on the driver."""
    if recipe.generator.kind == "documents":
        from omnisynth.generators.documents import DocumentGenerator

        return DocumentGenerator(recipe.generator, recipe.task, raw=recipe.degrade.enabled)
    if recipe.generator.kind == "gui":
        from omnisynth.generators.gui import GuiGenerator

        return GuiGenerator(recipe.generator, recipe.task)
    if recipe.generator.kind == "html_corpus":
        from omnisynth.generators.gui import HtmlCorpusGenerator

        return HtmlCorpusGenerator(recipe.generator, recipe.task, catalog or [])
    if recipe.generator.kind == "av":
        from omnisynth.generators.av import AvGenerator

        return AvGenerator(recipe.generator, recipe.task)
    if recipe.generator.kind == "video_corpus":
        from omnisynth.generators.av import VideoCorpusGenerator

        return VideoCorpusGenerator(recipe.generator, recipe.task, catalog or [])
    from omnisynth.generators.pdf_corpus import PdfCorpusGenerator

    return PdfCorpusGenerator(recipe.generator, recipe.task, catalog or [], raw=recipe.degrade.enabled)
