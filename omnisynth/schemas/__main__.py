"""`python -m omnisynth.schemas` rewrites sample.schema.json from the pydantic model."""

from omnisynth.schemas import SAMPLE_SCHEMA_PATH, render_sample_schema

SAMPLE_SCHEMA_PATH.write_text(render_sample_schema())
print(f"wrote {SAMPLE_SCHEMA_PATH}")
