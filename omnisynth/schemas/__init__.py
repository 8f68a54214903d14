"""Pydantic models of the contracts (recipe, sample, manifest) and the exported JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE_SCHEMA_PATH = Path(__file__).resolve().parent / "sample.schema.json"


def sample_json_schema() -> dict:
    """The JSON Schema of a shard's `<key>.json`, generated from the pydantic model."""
    from omnisynth.schemas.sample import Sample

    schema = Sample.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://omnisynth.dev/schemas/sample.schema.json"
    return schema


def render_sample_schema() -> str:
    return json.dumps(sample_json_schema(), indent=2, sort_keys=True) + "\n"


def load_sample_schema() -> dict:
    return json.loads(SAMPLE_SCHEMA_PATH.read_text())
