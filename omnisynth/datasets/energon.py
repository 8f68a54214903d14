"""Megatron-Energon metadata for an output folder, through Energon's own preparation API.

`prepare_energon(out, recipe)` indexes the shards with Energon's `WebdatasetPreparator`
(writing `.nv-meta/split.yaml`, `.info` and the index) and writes `dataset.yaml` the way
`energon prepare --sample-type ... --field-map ...` does:

- single-image tasks (doc_qa, doc_grounding, pdf_qa) map to Energon's `VQASample`
  (image <- png, context <- json[question], answers <- json[answers]); grounding answers
  are the box text `[x0, y0, x1, y1]` on a 0-1000 scale, the typed boxes stay in the JSON;
- multi-image tasks (doc_long_qa, gui_actions with history screens), which no built-in sample type covers, are a
  `CrudeWebdataset` with subflavor `omnisynth: multi_image`; the cooker in
  `omnisynth.datasets.energon_cookers` turns them into typed `MultiImageVQASample`s.

Energon (and the torch it needs) is an optional extra: without it a run still completes
and says how to add the metadata later (`omnisynth energon DIR`).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import yaml

MULTI_IMAGE = {"omnisynth": "multi_image"}


def energon_available() -> bool:
    try:
        import megatron.energon  # noqa: F401
    except ImportError:
        return False
    return True


def dataset_definition(recipe_dict: dict) -> dict:
    """What `energon prepare` would write to dataset.yaml for this recipe's samples."""
    from omnisynth.families import family

    gen = recipe_dict["generator"]
    if family(gen["kind"]).is_multi_image(gen):  # several pages or screens, or clips' frames (+ wav/mp4)
        return {"__module__": "megatron.energon", "__class__": "CrudeWebdataset", "subflavors": dict(MULTI_IMAGE)}
    return {
        "sample_type": {"__module__": "megatron.energon", "__class__": "VQASample"},
        "field_map": {"image": image_member(recipe_dict), "context": "json[question]", "answers": "json[answers]"},
    }


def image_member(recipe_dict: dict) -> str:
    """The member holding a single-image sample's image: 'png', or 'jpg' when the degrade stage writes JPEG."""
    from omnisynth.schemas.degrade import DegradeConfig

    degrade = DegradeConfig(**recipe_dict.get("degrade", {}))
    return "jpg" if degrade.enabled and degrade.format == "jpeg" else "png"


def prepare_energon(out: Path, recipe_dict: dict, split: tuple[float, float, float]) -> Path:
    """Write `out/.nv-meta/` for the shards listed in `out/shards/`; returns the folder."""
    from megatron.energon.flavors.webdataset.prepare import WebdatasetPreparator

    out = Path(out)
    shards = sorted(p.relative_to(out).as_posix() for p in (out / "shards").glob("*.tar"))
    if not shards:
        raise ValueError(f"{out}: no shards to index")
    parts = [(name, ratio) for name, ratio in zip(("train", "val", "test"), split, strict=False) if ratio > 0]
    with contextlib.redirect_stdout(io.StringIO()):  # the preparator prints progress lines
        WebdatasetPreparator.prepare_dataset(out, shards, split_parts_ratio=parts, shuffle_seed=recipe_dict["seed"],
                                             workers=2)
    meta = out / ".nv-meta"
    (meta / "dataset.yaml").write_text(yaml.safe_dump(dataset_definition(recipe_dict), sort_keys=False))
    return meta


def prepare_if_available(out: Path, recipe_dict: dict, split: tuple[float, float, float]) -> str:
    """Write .nv-meta/ when Energon is installed; says what was done, for the manifest."""
    if not energon_available():
        return "skipped: megatron-energon not installed (pip install 'omnisynth[energon]'; then omnisynth energon DIR)"
    prepare_energon(out, recipe_dict, split)
    return ".nv-meta"
