"""Recipe `generator` sections of the GUI families: procedural screens and your HTML pages."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from omnisynth.schemas.base import CorpusSource, GeneratorConfig, language_weights
from omnisynth.generators.gui.archetypes import ARCHETYPES, GROUPS
from omnisynth.generators.gui.layouts import FAMILIES
from omnisynth.generators.gui.panels import LOOKS

GUI_FAMILIES = tuple(FAMILIES)  # the screen builders, in their order (the default list and the draw follow it)


def _viewports(v: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for w, h in v:
        if not (320 <= w <= 7680 and 240 <= h <= 4320):
            raise ValueError(f"viewport {[w, h]} outside 320x240 .. 7680x4320")
    return v


class _Screens(GeneratorConfig):
    viewports: list[tuple[int, int]] = Field(
        default=[(1280, 720), (1366, 768), (1440, 900), (1920, 1080)], min_length=1,
        description="[width, height] in CSS pixels; the screenshot is viewport x scale device pixels")
    scales: list[float] = Field(default=[1.0, 1.25], min_length=1, description="device scale factors (devicePixelRatio)")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="bound on page load, scripts and each browser call")
    max_pixels: int = Field(default=3840 * 2160, ge=10_000, description="screenshots larger than this are refused")

    @field_validator("viewports")
    @classmethod
    def _vp(cls, v: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return _viewports(v)

    @field_validator("scales")
    @classmethod
    def _scales(cls, v: list[float]) -> list[float]:
        if any(not 0.5 <= s <= 4 for s in v):
            raise ValueError("device scale factors must lie in [0.5, 4]")
        return v

    @model_validator(mode="after")
    def _size(self):
        big = [(w, h, s) for w, h in self.viewports for s in self.scales if w * h * s * s > self.max_pixels]
        if big:
            w, h, s = big[0]
            raise ValueError(f"viewport {w}x{h} at scale {s:g} makes a {round(w * s)}x{round(h * s)} screenshot, over "
                             f"max_pixels={self.max_pixels}; lower the scale or raise max_pixels")
        return self


class GuiGenerator(_Screens):
    kind: Literal["gui"] = "gui"
    families: list[Literal[GUI_FAMILIES]] = Field(  # type: ignore[valid-type]
        default=[f for f in GUI_FAMILIES if f not in ("pro", "app")], min_length=1, description=(
            "screen families, drawn uniformly; pro: professional applications (archetypes below); app: a document "
            "editor whose menus open tabbed dialogs (the gui_episode recipe)"))
    themes: list[Literal["light", "dark"]] = Field(default=["light", "dark"], min_length=1)
    fonts: list[Literal["liberation-sans", "dejavu-sans", "liberation-serif", "dejavu-condensed"]] = Field(
        default=["liberation-sans", "dejavu-sans", "liberation-serif", "dejavu-condensed"], min_length=1)
    font_sizes: tuple[int, int] = Field(default=(12, 15), description="[min, max] base font size in CSS pixels")
    groups: list[Literal[GROUPS]] = Field(  # type: ignore[valid-type]
        default=list(GROUPS), min_length=1, description=(
            "family pro: the ScreenSpot-Pro groups whose application archetypes are drawn (4 or more each)"))
    archetypes: list[Literal[tuple(ARCHETYPES)]] = Field(  # type: ignore[valid-type]
        default=[], description="family pro: only these archetypes (empty: every archetype of `groups`)")
    looks: list[Literal[LOOKS]] = Field(  # type: ignore[valid-type]
        default=list(LOOKS), min_length=1, description="family pro: platform looks of the window chrome")
    languages: dict[Literal["en", "zh", "ja"], float] = Field(default={"en": 1.0}, description=(
        "language weights of the screens' text: zh and ja screens word their interface as Chinese and Japanese "
        "software does (omnisynth.generators.gui.locale) and read the handbook in that language; family app "
        "(episodes) is English"))
    max_steps: int = Field(default=5, ge=1, le=20, description=(
        "gui_actions: most steps in a trajectory; gui_episode: most steps of an episode (members s00.png ... one "
        "screenshot before each step and one after the last)"))
    history_screens: int = Field(default=0, ge=0, le=8, description=(
        "gui_actions: also hold the screenshots before the last N earlier steps (members h1.png = the step "
        "before, h2.png ...; 1x1 white where the trajectory is shorter)"))


    @field_validator("languages")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        return language_weights(v)

    @model_validator(mode="after")
    def _pro(self):
        if "pro" in self.families and not self.pro_archetypes():
            raise ValueError(f"archetypes: none is of the groups {self.groups}")
        return self

    def pro_archetypes(self) -> list[str]:
        """The archetypes family pro draws from: `archetypes`, else every one of `groups`."""
        return [a for a in (self.archetypes or ARCHETYPES) if ARCHETYPES[a].group in self.groups]


class HtmlCorpusGenerator(_Screens, CorpusSource):
    """Your HTML pages: files that sniff as HTML (or are named .html/.htm/.xhtml); other files are their assets."""

    kind: Literal["html_corpus"] = "html_corpus"
    settle_ms: int = Field(default=300, ge=0, le=10_000, description="wait after load for scripts to draw")
    min_elements: int = Field(default=1, ge=1, description="a page with fewer visible interactive elements is rejected")
