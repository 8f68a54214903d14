"""The exported JSON Schema matches the pydantic model, and means what consumers need."""

from __future__ import annotations

import jsonschema
import pydantic
import pytest

from omnisynth.schemas import SAMPLE_SCHEMA_PATH, load_sample_schema, render_sample_schema
from omnisynth.schemas.sample import Sample


def test_exported_schema_is_in_sync_with_the_model():
    assert SAMPLE_SCHEMA_PATH.read_text() == render_sample_schema(), "run: python -m omnisynth.schemas"


def minimal_sample(**changes):
    box = {"label": "x", "image": "png", "page": 0, "image_size": [100, 50], "bbox_px": [10, 10, 20, 20],
           "bbox_norm": [0.1, 0.2, 0.2, 0.4], "bbox_1000": [100, 200, 200, 400], "point_px": [15, 15],
           "quad_px": [[10, 10], [20, 10], [20, 20], [10, 20]],
           "role": "text", "area_fraction": 0.02}
    sample = {
        "key": "doc_qa-s0-000000001", "recipe": "doc_qa", "task": "doc_qa/region", "modalities": ["image", "text"],
        "media": [{"member": "png", "modality": "image", "width": 100, "height": 50, "page": 0, "time_s": 0.0,
                   "duration_s": 0.0}],
        "messages": [{"role": "user", "content": [{"type": "image", "image": "png"}, {"type": "text", "text": "q"}]},
                     {"role": "assistant", "content": [{"type": "text", "text": "a"}]}],
        "question": "q", "answer": "a", "answers": ["a"], "grounding": [box],
        "evidence": [{"kind": "text", "page": 0, "image": "png", "bbox_px": [10, 10, 20, 20], "text": "a",
                      "value": "", "quad_px": [[10, 10], [20, 10], [20, 20], [10, 20]]}],
        "derivation": {"op": "extract", "labels": [], "target": "", "role": "", "relation": "", "anchor": "",
                       "ui_type": "", "answer_format": "Str", "evidence_sources": ["Pure-text (Plain-text)"]},
        "action": {"type": "none", "point_px": [0, 0], "point_1000": [0, 0], "text": "", "scroll_px": [0, 0],
                   "goal": "", "step": 0, "steps": 0, "history": [], "result": ""},
        "events": [],
        "meta": {"family": "report", "language": "en", "font": "times", "pages": 1, "source": "", "source_page": 0,
                 "theme": "", "viewport": [0, 0], "scale": 2.0, "duration_s": 0.0, "degradations": [],
                 "group": "", "archetype": "", "look": "",
                 "density": {"words_per_page": 0.0, "coverage": 0.0, "boxes_per_page": 0.0, "fonts": []}},
        "provenance": {"recipe": "doc_qa", "seed": 0, "index": 1, "engine": "oracle", "generator": "documents",
                       "sampling": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 0, "seed": -1},
                       "generator_version": "documents/1", "config_hash": "abc", "model": "", "prompt_hash": "p",
                       "filter_scores": {}, "text_sources": [], "text_licence": ""},
    }
    sample.update(changes)
    return sample


def test_a_minimal_sample_validates():
    jsonschema.validate(minimal_sample(), load_sample_schema())
    Sample.model_validate(minimal_sample(), strict=True)  # what the pipeline's schema filter runs


@pytest.mark.parametrize("changes", [
    {"key": "with.dot"},
    {"messages": [{"role": "user", "content": [{"type": "picture", "image": "png"}]}] * 2},
    {"answers": []},
    {"extra_field": 1},
    {"grounding": [{"bbox_px": [1, 2, 3]}]},
    {"evidence": [{"kind": "text", "page": 0, "image": "png", "bbox_px": [10, 10, 20, 20], "text": "a", "value": "",
                   "quad_px": [[10, 10], [20, 10], [20, 20]]}]},
    {"provenance": {"recipe": "doc_qa"}},
    {"events": [{"id": "e1"}]},
    {"answer": 42},
    {"modalities": ["smell"]},
    {"meta": {"family": "report"}},
    {"meta": {"family": "report", "language": "en", "font": "", "pages": 1, "source": "", "source_page": 0,
              "theme": "", "viewport": [0, 0], "scale": 2.0, "duration_s": 0.0, "colour": "red"}},
    {"events": [{"id": "e1", "modality": "smell", "kind": "tone", "start": 0.0, "end": 1.0}]},
    {"action": {"type": "teleport", "point_px": [0, 0], "point_1000": [0, 0], "text": "", "scroll_px": [0, 0],
                "goal": "", "step": 0, "steps": 0, "history": [], "result": ""}},
    {"derivation": {"op": "extract", "labels": [], "target": ""}},
])
def test_schema_rejects_what_consumers_cannot_read(changes):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(minimal_sample(**changes), load_sample_schema())
    with pytest.raises(pydantic.ValidationError):
        Sample.model_validate(minimal_sample(**changes), strict=True)
