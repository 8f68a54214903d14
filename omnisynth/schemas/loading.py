"""Loading YAML configs (recipes, stage files): bundled names or paths, `--set key.path=value`
overrides, and pydantic errors reworded as `dotted.path: message` with a did-you-mean.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml
from pydantic import BaseModel


class RecipeError(ValueError):
    """A recipe that cannot run; the message names the offending field."""


def _set(tree: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = tree
    for i, part in enumerate(parts):
        if isinstance(node, list):  # `stages.1.steps`: an item of a list by its index
            if not part.isdigit() or int(part) >= len(node):
                raise RecipeError(f"--set {dotted}: {'.'.join(parts[:i])} has no item {part!r} (it has {len(node)})")
            part = int(part)
        elif not isinstance(node, dict):
            raise RecipeError(f"--set {dotted}: {'.'.join(parts[:i])} is not a section")
        if i == len(parts) - 1:
            node[part] = value
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            node = node[part]


def parse_overrides(pairs: list[str]) -> list[tuple[str, object]]:
    """`key.path=value` strings; values are YAML scalars or lists (`[1, 2]`, `true`, `0.5`)."""
    out = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise RecipeError(f"--set {pair!r}: expected key.path=value")
        try:
            out.append((key.strip(), yaml.safe_load(raw)))
        except yaml.YAMLError as exc:
            raise RecipeError(f"--set {pair!r}: value is not valid YAML: {exc}") from None
    return out


def load_tree(name_or_path: str, bundled: dict[str, Path], what: str,
              overrides: list[tuple[str, object]] = ()) -> tuple[Path, dict]:
    """A bundled name or a YAML path -> (path, mapping with `name` defaulted and overrides set).

    Errors are RecipeError naming the file, or the override, and what was wrong."""
    path = bundled.get(name_or_path) or Path(name_or_path)
    if not path.is_file():
        raise RecipeError(f"no {what} {name_or_path!r}: not a bundled name ({', '.join(bundled)}) nor a YAML file")
    try:
        tree = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(tree, dict):
        raise RecipeError(f"{path}: a {what} is a YAML mapping, got {type(tree).__name__}")
    tree.setdefault("name", path.stem)
    for key, value in overrides:
        _set(tree, key, value)
    return path, tree


def describe(error: dict, root: type[BaseModel], sections: dict[str, type[BaseModel]] | None = None) -> str:
    """One pydantic error as `dotted.path: message`; unknown keys get a did-you-mean from the
    fields of the model `root` has at that path. `sections`: top-level fields whose model is
    known only from the input (a recipe's `generator`: the config its kind's family registers)."""
    sections = sections or {}
    loc = [str(p) for p in error["loc"]]
    where = ".".join(loc) or "recipe"
    if error["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1], root, sections)
        allowed = sorted(parent.model_fields) if parent else []
        hint = difflib.get_close_matches(loc[-1], allowed, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{where}: unknown key{did}; allowed keys: {', '.join(allowed)}"
    msg = error["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}"


def _model_at(path: list[str], root: type[BaseModel], sections: dict[str, type[BaseModel]]) -> type[BaseModel] | None:
    """The config model at a pydantic error location."""
    model = root
    for depth, part in enumerate(path):
        if part.isdigit():  # a list item: the model stays the list's
            continue
        if depth == 0 and part in sections:
            model = sections[part]
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        options = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not options:
            return None
        model = options[0]
    return model
