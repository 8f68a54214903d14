"""From per-category gaps to a plan of recipes, and running a plan.

`make_plan` maps each category through the taxonomy (`taxonomy.v2.yaml`), keeps the weak
ones (the lower end of the error rate's 95% interval at least `min_error`), and splits the
budget: `general_share` of it to the benchmark's general recipe (so the mix does not
over-fit the gaps), the rest to the weak mapped categories, a floor of `floor_share` of
it each and the remainder in proportion to each category's gap (errors beyond reasonable
doubt, see results.py). Weak categories without a mapping are listed, not dropped.

A plan is a YAML file (`kind: gap_plan`) whose comments give the reasoning; `omnisynth run
PLAN.yaml --out DIR` runs each part as its own recipe into `DIR/parts/NAME` (each part a
normal, resumable output; the part's name is its recipe name, hence the prefix of every
key and `provenance.recipe` of its samples) and writes `DIR/gap.json`: which category
each part, so each sample, targets, with what was kept.
"""

from __future__ import annotations

import datetime
import re
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from omnisynth.gap.results import CategoryStats

TAXONOMY = Path(__file__).resolve().parent / "taxonomy.v2.yaml"  # v1 stays for plans made with it


class PlanError(ValueError):
    """A plan that cannot be made or run; the message names the part or field."""


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanPart(_Cfg):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    category: str
    recipe: str
    num_samples: int = Field(ge=1)
    set: dict[str, object] = Field(default_factory=dict)
    why: str = ""
    stats: dict[str, object] = Field(default_factory=dict)


class Plan(_Cfg):
    kind: str = Field(pattern=r"^gap_plan$")
    name: str
    seed: int = Field(default=0, ge=0)
    benchmark: str
    results: str = ""
    taxonomy_version: int
    budget: int = Field(ge=1)
    general_share: float
    parts: list[PlanPart] = Field(min_length=1)
    unmapped: list[dict[str, object]] = Field(default_factory=list)


def decontaminate(plan: Plan, results: Path, images: str | None = None) -> None:
    """Turn `filters.decontaminate` on for every part of `plan`, against the benchmark's own items in
    `results` (its images in `images`). Raises PlanError for our own eval rows, which are no benchmark."""
    if plan.benchmark not in ("ocrbench_v2", "mmlongbench_doc", "screenspot_pro"):
        raise PlanError(f"--decontaminate reads a benchmark's items (ocrbench_v2, mmlongbench_doc, screenspot_pro), "
                        f"not {plan.benchmark!r} rows")
    source = {"benchmark": plan.benchmark, "path": str(Path(results).resolve())}
    if images:
        source["images"] = str(Path(images).resolve())
    for part in plan.parts:
        part.set["filters.decontaminate.sources"] = [source]


def load_taxonomy(path: Path = TAXONOMY) -> dict:
    tree = yaml.safe_load(Path(path).read_text())
    if not isinstance(tree, dict) or "version" not in tree or "benchmarks" not in tree:
        raise PlanError(f"{path}: a taxonomy needs `version` and `benchmarks`")
    return tree


@lru_cache(maxsize=None)
def _takes_languages(recipe: str) -> bool:
    """Does the bundled recipe's generator draw in languages (documents do, app screens do not)?"""
    from omnisynth.schemas.recipe import load_recipe

    return "languages" in type(load_recipe(recipe).generator).model_fields


def rule_for(category: str, rules: list[dict]) -> dict | None:
    return next((r for r in rules if fnmatchcase(category, r["match"])), None)


def _fill(value, **names):
    """A rule's settings with "{kind}"/"{qtype}" replaced by the category's halves (keys and values)."""
    if isinstance(value, str):
        for name, text in names.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, dict):
        return {_fill(k, **names): _fill(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    return value


def _slug(category: str) -> str:
    return "gap_" + (re.sub(r"[^a-z0-9]+", "_", category.lower()).strip("_") or "category")


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder (sums exactly)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))[: total - sum(counts)]:
        counts[i] += 1
    return counts


def make_plan(stats: list[CategoryStats], benchmark: str, budget: int, *, taxonomy: dict | None = None,
              general_share: float = 0.2, floor_share: float = 0.05, min_error: float = 0.05,
              base: str | None = None, seed: int = 0, results: str = "") -> Plan:
    taxonomy = taxonomy or load_taxonomy()
    if benchmark not in taxonomy["benchmarks"]:
        raise PlanError(f"taxonomy v{taxonomy['version']} has no rules for {benchmark!r}")
    if not 0 <= general_share < 1 or not 0 <= floor_share <= 1:
        raise PlanError("--general-share must be in [0, 1) and --floor in [0, 1]")
    entry = taxonomy["benchmarks"][benchmark]
    weak = [s for s in stats if s.interval()[0] >= min_error]
    mapped, unmapped = [], []
    for s in weak:
        rule = rule_for(s.category, entry["rules"])
        if rule is None or rule.get("recipe") is None:
            unmapped.append({"category": s.category, **s.as_dict(),
                             "why": rule["why"] if rule else "no rule in the taxonomy matches it"})
        else:
            mapped.append((s, rule))
    general = round(budget * general_share) if mapped else budget
    targeted = budget - general
    parts: list[PlanPart] = []
    if mapped:
        floor = min(max(1, int(targeted * floor_share)), targeted // len(mapped))
        extra = _split(targeted - floor * len(mapped), [max(s.confident_errors, 1e-9) for s, _ in mapped])
        names: set[str] = set()
        for (s, rule), more in zip(mapped, extra, strict=False):
            name = _slug(s.category)
            while name in names:
                name += "_"
            names.add(name)
            kind, _, qtype = s.category.partition("/")
            settings = _fill(dict(rule.get("set") or {}), kind=kind, qtype=qtype)
            rule = {**rule, "recipe": _fill(rule["recipe"], kind=kind, qtype=qtype)}
            for suffix, language in (entry.get("suffix_languages") or {}).items():
                if s.category.endswith(suffix) and _takes_languages(rule["recipe"]):
                    settings.setdefault("generator.languages", {language: 1})
            if floor + more:
                parts.append(PlanPart(name=name, category=s.category, recipe=rule["recipe"], num_samples=floor + more,
                                      set=settings, why=rule.get("why", ""), stats=s.as_dict()))
    if general:
        parts.append(PlanPart(name="gap_general", category="general", recipe=base or entry["general"]["recipe"],
                              num_samples=general, why="general data: keeps the mix from over-fitting the gaps"))
    return Plan(kind="gap_plan", name=f"gap_{benchmark}", seed=seed, benchmark=benchmark, results=results,
                taxonomy_version=int(taxonomy["version"]), budget=budget, general_share=general_share,
                parts=parts, unmapped=unmapped)


def plan_yaml(plan: Plan, floor_share: float, min_error: float) -> str:
    """The plan as YAML, headed by comments that give the reasoning."""
    targeted = sum(p.num_samples for p in plan.parts if p.category != "general")
    lines = [f"# omnisynth gap plan, written {datetime.date.today().isoformat()} from {plan.results or 'results'}"
             f" ({plan.benchmark}), taxonomy v{plan.taxonomy_version}",
             f"# budget {plan.budget}: {plan.budget - targeted} general, {targeted} aimed at the weak categories",
             f"# (the lower end of the 95% interval of their error rate >= {min_error:g}), a floor of "
             f"{floor_share:.0%} of the aimed budget each,",
             "# the rest in proportion to each category's gap (n x that lower end: errors beyond reasonable doubt).",
             "# run: omnisynth run THIS.yaml --out DIR   (each part into DIR/parts/NAME; DIR/gap.json maps parts to "
             "categories)"]
    for p in plan.parts:
        if p.category == "general":
            lines.append(f"#   general -> {p.num_samples} samples of {p.recipe}")
            continue
        st = p.stats
        low, high = st["interval"]
        lines.append(f"#   {p.category}: {st['errors']}/{st['n']} wrong ({st['error_rate']:.0%}, 95% {low:.0%}-{high:.0%}),"
                     f" gap {st['gap']} -> {p.num_samples} samples of {p.recipe}: {p.why}")
    for u in plan.unmapped:
        lines.append(f"#   UNMAPPED {u['category']}: {u['errors']}/{u['n']} wrong, gap {u['gap']} -> no samples: {u['why']}")
    body = yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(lines) + "\n" + body


def is_plan(path: str) -> bool:
    p = Path(path)
    if not p.is_file() or p.suffix not in (".yaml", ".yml"):
        return False
    try:
        tree = yaml.safe_load(p.read_text())
    except yaml.YAMLError:
        return False
    return isinstance(tree, dict) and tree.get("kind") == "gap_plan"


def load_plan(path: str, overrides: list[tuple[str, object]] = ()) -> tuple[Plan, list]:
    """The plan and each part's validated recipe (every part is checked before any runs)."""
    from pydantic import ValidationError

    from omnisynth.schemas.recipe import RecipeError, load_recipe

    try:
        plan = Plan.model_validate(yaml.safe_load(Path(path).read_text()))
    except ValidationError as exc:
        raise PlanError(f"{path}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                for e in exc.errors())) from None
    names = [p.name for p in plan.parts]
    if len(set(names)) != len(names):
        raise PlanError(f"{path}: part names repeat: {names}")
    recipes = []
    for part in plan.parts:
        try:
            recipes.append(load_recipe(part.recipe, [("name", part.name), ("num_samples", part.num_samples),
                                                     ("seed", plan.seed), *part.set.items(), *overrides]))
        except RecipeError as exc:
            raise PlanError(f"{path}: part {part.name!r} ({part.category}): {exc}") from None
    return plan, recipes
