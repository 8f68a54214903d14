"""The `degrade` section of a recipe: how rendered pages and screens are made to look captured.

A preset names a starting set of effects (a flatbed scan, a phone photo of a page on a desk,
text in a street scene, a screen as captured); `effects` overrides or adds effects by name.
Each effect fires with probability `p` and draws its strength uniformly from `strength`
(units per effect, in `EFFECTS`; more is always worse); the recipe-wide `intensity`
multiplies every strength (capped at the effect's maximum), so one knob turns the whole look
up or down. Draws are seeded per sample (and per page).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# effect -> (what its strength means, the largest strength that still makes sense)
EFFECTS: dict[str, tuple[str, float]] = {
    # geometry: composed into one homography; every box and point goes through it
    "rotate": ("degrees, either direction", 45.0),
    "shear": ("horizontal shear factor, either direction", 0.5),
    "perspective": ("each corner moved by up to this fraction of the page's shorter side", 0.4),
    "scale": ("fraction of the size lost to resizing (a screenshot shared smaller, a page scanned at lower DPI)", 0.9),
    "margin": ("background around the page, as a fraction of its size (a photo of a page on a desk; a sign in a scene)",
               3.0),
    "crop": ("fraction of the frame cut off on one side (a page or window partly out of shot)", 0.5),
    # paper and ink: applied to the page before it is placed
    "paper": ("amplitude of the procedural paper texture (tint, mottling, grain), 0-1", 1.0),
    "fade": ("largest fraction of ink lost where the print is faded, 0-1", 0.9),
    "bleed": ("ink spread in pixels", 4.0),
    "crease": ("darkness of fold creases, 0-1", 1.0),
    # capture: applied to the whole frame
    "lighting": ("depth of the uneven-lighting gradient, 0-1", 0.9),
    "shadow": ("darkness of a cast shadow, 0-1", 0.9),
    "blur": ("Gaussian blur sigma in pixels", 5.0),
    "noise": ("sensor noise standard deviation in grey levels", 40.0),
    "lowres": ("fraction of resolution lost (downsampled and back), 0-1", 0.9),
    "jpeg": ("JPEG quality lost (quality = 100 - strength)", 90.0),
    "subpixel": ("colour fringing of sub-pixel text rendering, in pixels", 2.0),
    # overlays that cover what is under them: targets beneath are rejected as covered
    "cursor": ("mouse cursor height as a fraction of 32 px", 3.0),
    "window": ("fraction of the frame's width another window covers", 0.8),
}
GEOMETRY = ("rotate", "shear", "perspective", "scale", "margin", "crop")
INK_EFFECTS = ("fade", "bleed")  # the page's pixels, before it is placed; then light (paper, crease, lighting,
# shadow) multiplies the page and what is around it in one pass (omnisynth.degrade.Degrader.pixels)
CAPTURE_EFFECTS = ("subpixel", "blur", "lowres", "noise", "jpeg")  # the whole frame, overlays included
OVERLAYS = ("cursor", "window")


class Effect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p: float = Field(default=1.0, ge=0, le=1, description="probability the effect fires on a page")
    strength: tuple[float, float] = Field(description="[min, max] strength, drawn uniformly (units: see EFFECTS)")

    @field_validator("strength")
    @classmethod
    def _ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] < 0 or v[1] < v[0]:
            raise ValueError("must be [min, max] with 0 <= min <= max")
        return v


def _fx(p: float, lo: float, hi: float) -> dict:
    return {"p": p, "strength": (lo, hi)}


PRESETS: dict[str, dict[str, dict]] = {
    "scan": {  # a flatbed scan or photocopy: slight skew, paper, faded or bled ink, scanner noise, JPEG
        "rotate": _fx(0.8, 0.2, 1.5), "shear": _fx(0.3, 0.0, 0.01), "paper": _fx(1.0, 0.2, 0.5),
        "fade": _fx(0.5, 0.1, 0.35), "bleed": _fx(0.3, 0.5, 1.0), "crease": _fx(0.2, 0.2, 0.45),
        "lighting": _fx(0.4, 0.05, 0.15), "blur": _fx(0.5, 0.3, 0.7), "noise": _fx(0.7, 2.0, 6.0),
        "lowres": _fx(0.3, 0.1, 0.3), "jpeg": _fx(1.0, 10.0, 35.0),
    },
    "photo": {  # a phone photo of a page on a desk: perspective, lighting, shadow, blur
        "rotate": _fx(1.0, 0.5, 4.0), "perspective": _fx(1.0, 0.01, 0.06), "margin": _fx(1.0, 0.04, 0.12),
        "scale": _fx(1.0, 0.1, 0.2),  # the camera's resolution: the desk around the page costs page pixels
        "crop": _fx(0.15, 0.02, 0.08), "paper": _fx(1.0, 0.1, 0.3), "crease": _fx(0.3, 0.2, 0.5),
        "lighting": _fx(1.0, 0.1, 0.3), "shadow": _fx(0.5, 0.15, 0.35), "blur": _fx(0.7, 0.3, 0.9),
        "noise": _fx(1.0, 2.0, 6.0), "jpeg": _fx(1.0, 15.0, 40.0),
    },
    "scene": {  # a sign, label or package in a procedurally drawn scene
        "rotate": _fx(1.0, 0.0, 8.0), "perspective": _fx(1.0, 0.03, 0.12), "margin": _fx(1.0, 0.3, 0.9),
        "lighting": _fx(1.0, 0.1, 0.35), "shadow": _fx(0.4, 0.15, 0.35), "blur": _fx(0.6, 0.3, 0.9),
        "noise": _fx(1.0, 2.0, 6.0), "jpeg": _fx(1.0, 15.0, 40.0),
    },
    "screen": {  # a screenshot as people share it: resized, recompressed, a cursor, another window
        "scale": _fx(0.7, 0.05, 0.4), "crop": _fx(0.15, 0.02, 0.1), "subpixel": _fx(0.5, 0.33, 0.67),
        "cursor": _fx(0.7, 0.8, 1.5), "window": _fx(0.3, 0.15, 0.35), "jpeg": _fx(0.8, 10.0, 35.0),
    },
}


PresetName = Literal["none", "scan", "photo", "scene", "screen"]


class DegradeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    preset: PresetName | dict[PresetName, float] = Field(
        default="none", description=(
            "the starting set of effects ('none': `effects` alone), or presets with weights, one drawn per sample "
            "(e.g. {scan: 0.6, photo: 0.4})"))
    effects: dict[str, Effect] = Field(
        default_factory=dict, description="effects by name, added to or replacing the preset's (p: 0 turns one off)")
    intensity: float = Field(default=1.0, ge=0, le=4, description=(
        "multiplies every effect's strength (capped at the effect's maximum): 0 renders clean, 2 twice as rough"))
    format: Literal["jpeg", "png"] = Field(
        default="jpeg", description="image format written (members .jpg or .png); jpeg quality comes from the "
                                    "'jpeg' effect (95 when it does not fire)")
    min_text_px: float = Field(default=7.0, ge=0, description=(
        "targets whose glyphs end up shorter than this (pixels) are rejected as too small to read"))
    min_target_px: float = Field(default=6.0, ge=0, description=(
        "GUI targets whose shorter side ends up below this (pixels) are rejected as too small"))
    max_covered: float = Field(default=0.02, ge=0, le=1, description=(
        "targets with more than this fraction of their area under an overlay (cursor, window) are rejected"))

    @field_validator("effects", mode="before")
    @classmethod
    def _known(cls, v):
        import difflib

        for name in v or {}:
            if name not in EFFECTS:
                near = difflib.get_close_matches(name, EFFECTS, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(EFFECTS)})"
                raise ValueError(f"unknown effect {name!r}{hint}")
        return v

    @field_validator("preset")
    @classmethod
    def _weights(cls, v):
        if isinstance(v, dict) and (not v or any(w < 0 for w in v.values()) or sum(v.values()) <= 0):
            raise ValueError("preset weights need at least one positive weight and none negative")
        return v

    @model_validator(mode="after")
    def _limits(self) -> DegradeConfig:
        for name, fx in self.effects.items():
            top = EFFECTS[name][1]
            if fx.strength[1] > top:
                raise ValueError(f"effects.{name}.strength: {fx.strength[1]} exceeds {top} ({EFFECTS[name][0]})")
        return self

    def presets(self) -> dict[str, float]:
        """Preset -> weight (one preset: weight 1)."""
        return dict(self.preset) if isinstance(self.preset, dict) else {self.preset: 1.0}

    @property
    def enabled(self) -> bool:
        return self.intensity > 0 and any(fx.p > 0 for name in self.presets() for fx in self.resolved(name).values())

    def resolved(self, preset: str) -> dict[str, Effect]:
        """A preset's effects overridden by the recipe's, in a fixed order."""
        merged = {name: Effect(**fx) for name, fx in PRESETS.get(preset, {}).items()}
        merged.update(self.effects)
        return {name: merged[name] for name in EFFECTS if name in merged}
