"""The package layout holds: imports run down the layers, Ray Data is called from pipelines/ only,
the trainer and the annotation model live apart, and no module grows past ~400 lines.

The layers (README "How it works"), top to bottom; a module may import its own package and
any package below it. The one arrow up is listed with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "omnisynth"
LAYERS = ["cli", "pipelines", "train", "gap", "model", "filters", "tasks", "generators", "degrade", "datasets",
          "schemas", "families", "quiet", "metrics", "geometry", "audio"]
ALLOWED_UP = {
    # the clip planner replans until the clip can carry the drawn question type: the rule that
    # says what a question needs lives once, with the question writer
    ("omnisynth/generators/clips/generator.py", "omnisynth.tasks.clips"),
}
MAX_LINES = 400


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "omnisynth" and len(parts) > 1 else None


def test_imports_run_down_the_layers():
    up = []
    for path in _modules():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        here = path.relative_to(PACKAGE).with_suffix("").parts[0]
        if here in ("__init__", "__main__"):
            continue
        assert here in LAYERS, f"{rel}: package {here!r} has no place in the layers; add it to LAYERS and the README"
        for line, module in _imports(path):
            there = _layer(module)
            if there is None or there == here or there in ("__init__",):
                continue
            assert there in LAYERS, f"{rel}:{line} imports {module}, in no layer"
            if LAYERS.index(there) < LAYERS.index(here) and (rel, module) not in ALLOWED_UP:
                up.append(f"{rel}:{line} imports {module} ({here} -> {there})")
    assert not up, "imports against the layers:\n" + "\n".join(up)


def test_ray_data_is_called_from_pipelines_only():
    found = []
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for line, module in _imports(path):
            if module == "ray.data" or module.startswith("ray.data."):
                if not rel.startswith("pipelines/"):
                    found.append(f"omnisynth/{rel}:{line} imports {module}")
    assert not found, "\n".join(found)


def test_the_trainer_and_the_annotation_model_live_apart():
    for a, b in (("train", "model"), ("model", "train")):
        for path in (PACKAGE / a).rglob("*.py"):
            bad = [m for _, m in _imports(path) if _layer(m) == b]
            assert not bad, f"{path}: imports {bad}"


def test_no_module_is_over_the_size_limit():
    big = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in _modules()
           if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not big, "split these modules:\n" + "\n".join(big)
