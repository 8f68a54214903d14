"""The base of every recipe section, and of every family's `generator` section.

`GeneratorConfig` is the contract between a recipe and a generator family: a family's config
model subclasses it with `kind: Literal["<its kind>"]`, and validating a `generator` mapping
dispatches on its `kind` through the family registry (`omnisynth.families`), so a kind no
family registers is refused naming the registered ones.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Cfg(BaseModel):
    """A recipe section: unknown keys are refused, defaults are validated."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class GeneratorConfig(Cfg):
    """A recipe's `generator` section; validating this base picks the family's own model by `kind`."""

    kind: str

    @model_validator(mode="wrap")
    @classmethod
    def _by_kind(cls, value, handler):
        if cls is GeneratorConfig and isinstance(value, dict):
            from omnisynth.families import UnknownFamily, family

            try:
                model = family(value.get("kind")).load("config")
            except UnknownFamily as exc:
                raise ValueError(str(exc)) from None
            return model.model_validate(value)
        if cls is GeneratorConfig and isinstance(value, GeneratorConfig):
            return value
        return handler(value)


def language_weights(v: dict[str, float]) -> dict[str, float]:
    """A `languages` weight table: at least one positive weight, none negative (else ValueError)."""
    if not v or any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
        raise ValueError("needs at least one language with a positive weight, none negative")
    return v


def existing_path(v: str) -> str:
    """A corpus path (`generator.path`): required, must exist; returned absolute."""
    if not v:
        raise ValueError("is required: set it with --set generator.path=DIR")
    p = Path(v).expanduser()
    if not p.exists():
        raise ValueError(f"{v!r} does not exist")
    return str(p.resolve())


class CorpusSource(GeneratorConfig):
    """The generator section of a family that reads your files: where they are and how many units one may give.

    Mixed into a family's config model (`class PdfCorpusGenerator(CorpusSource)`); the driver
    probes every file under `path` before any sample (omnisynth.generators.corpus).
    """

    path: str = Field(default="", description="folder (searched recursively, hidden names skipped) or one file; "
                      "every file is probed by content, whatever its suffix")
    max_per_file: int | None = Field(default=None, ge=1, description=(
        "most units (pages, clips) taken from any one file: the samples spread over more files"))

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return existing_path(v)
