"""Generators render media and report its ground truth, grouped per family group
(`documents/`, `gui/`, `clips/`); each group's `family.py` registers its families
(`omnisynth.families`) and its `config.py` holds their recipe sections.

A generator implements a small protocol (`Generator`): `source(spec)` names the input a
sample comes from, `render(spec)` returns `(media, truth)` (member name -> bytes, and the
`GroundTruth` the filters check), `needs_actor` says it keeps heavy state warm (a browser)
and must render in long-lived Ray actors one item at a time, and `release()` frees what one
batch held. `render` raises `InputError` for bad input (quarantined with its reason) and
`GroundTruthError` when its own truth does not hold; any other exception is a bug.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnisynth.schemas.recipe import Recipe
    from omnisynth.schemas.truth import GroundTruth, SampleSpec


class Generator(ABC):
    """The generator protocol, with the defaults most generators need; `source` and `render` are each family's own."""

    needs_actor: bool = False  # keep heavy state (a browser) warm: render in Ray actors, one item at a time

    @classmethod
    def from_recipe(cls, recipe: Recipe, catalog=None) -> Generator:
        """Build from a recipe; `catalog` is the family's corpus listing (None when it renders from the seed)."""
        return cls(recipe.generator, recipe.task)

    @abstractmethod
    def source(self, spec: SampleSpec) -> dict:
        """The input a sample comes from (a file and page, a seed), for quarantine records."""

    @abstractmethod
    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        """(media: member name -> bytes, ground truth) of one sample; a pure function of (seed, index)."""

    def release(self) -> None:  # noqa: B027 - optional hook: generators without warm state hold nothing
        """Free what the last batch held (an open page)."""


def make_generator(recipe: Recipe, catalog=None) -> Generator:
    """The generator of the recipe's family (`omnisynth.families`); `catalog`: its corpus listing, built on the driver.

    The family names a `Generator` subclass (built with its `from_recipe`) or a factory
    `(recipe, catalog) -> generator`.
    """
    make = recipe.family().load("generator")
    if isinstance(make, type) and issubclass(make, Generator):
        return make.from_recipe(recipe, catalog)
    return make(recipe, catalog)
