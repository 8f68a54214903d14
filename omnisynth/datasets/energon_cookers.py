"""Energon cookers for omnisynth samples that Energon's built-in sample types do not cover.

Multi-page document QA (doc_long_qa) has several images per sample. Its folders are
prepared as `CrudeWebdataset` with subflavor `omnisynth: multi_image`; point Energon at
this module's task encoder (or add `COOKERS` to your own) to get typed samples:

    from megatron.energon import WorkerConfig, get_val_dataset
    from omnisynth.datasets.energon_cookers import OmnisynthTaskEncoder

    ds = get_val_dataset("out/doc_long_qa", split_part="train", batch_size=1,
                         worker_config=WorkerConfig(rank=0, world_size=1, num_workers=0),
                         task_encoder=OmnisynthTaskEncoder())
    for batch in ds:
        sample = batch[0]            # MultiImageVQASample
        sample.images                # list of CHW float tensors, one per real page
        sample.context, sample.answers, sample.boxes, sample.box_pages

Only the pages listed in the sample's JSON `media` are returned (blank padding members,
which keep member sets uniform for Hugging Face, are dropped).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import torch
from megatron.energon import Cooker, DefaultTaskEncoder, Sample, basic_sample_keys, stateless
from PIL import Image

from omnisynth.datasets.energon import MULTI_IMAGE


@dataclass
class MultiImageVQASample(Sample):
    #: one CHW float tensor in [0, 1] per real page, in page order
    images: list[torch.Tensor]
    #: the question
    context: str
    #: accepted answers; answers[0] is the reference
    answers: list[str]
    #: grounding boxes in pixels of their page image, shape (n, 4): x0, y0, x1, y1
    boxes: torch.Tensor
    #: page index of each box
    box_pages: list[int]
    #: the full omnisynth sample JSON (evidence, derivation, provenance)
    meta: dict


def _image(data) -> torch.Tensor:
    """A CHW float image: Energon's decoder has usually decoded the member already."""
    if isinstance(data, torch.Tensor):
        return data.float() / 255.0 if data.dtype == torch.uint8 else data
    with Image.open(io.BytesIO(data)) as im:
        array = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


@stateless
def cook_multi_image(raw: dict) -> MultiImageVQASample:
    """A crude sample (member name -> bytes, or decoded JSON) -> MultiImageVQASample."""
    sample = raw["json"] if isinstance(raw["json"], dict) else json.loads(raw["json"])
    images = [_image(raw[m["member"]]) for m in sample["media"] if m["modality"] == "image"]
    boxes = torch.tensor([g["bbox_px"] for g in sample["grounding"]], dtype=torch.float32).reshape(-1, 4)
    return MultiImageVQASample(**basic_sample_keys(raw), images=images, context=sample["question"],
                               answers=list(sample["answers"]), boxes=boxes,
                               box_pages=[g["page"] for g in sample["grounding"]], meta=sample)


COOKERS = [Cooker(cook_multi_image, has_subflavors=dict(MULTI_IMAGE))]


class OmnisynthTaskEncoder(DefaultTaskEncoder):
    """Energon's default task encoder plus the omnisynth cookers."""

    cookers = COOKERS
