"""Professional screens: Breeze icons with names and function phrases, four or more application
archetypes per ScreenSpot-Pro group in three platform looks, and gap plans aimed at one group."""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter

import pytest

from omnisynth.generators.gui import iconset
from omnisynth.generators.gui.archetypes import ARCHETYPES, GROUPS
from omnisynth.generators.gui.layouts import page
from omnisynth.generators.gui.panels import LOOKS, TOGGLES
from omnisynth.generators.gui.ui import Ui


def test_the_icon_catalog_is_breezes_named_icons_with_function_phrases():
    cat = iconset.catalog()
    assert len(cat) >= 1200 and Counter(i.context for i in cat.values())["actions"] >= 900
    for name, item in cat.items():  # each a real file of the theme, light and dark
        assert (iconset.BREEZE / item.context / "22" / f"{name}.svg").is_file()
        assert (iconset.BREEZE_DARK / item.context / "22" / f"{name}.svg").is_file()
    labels = [i.label.casefold() for i in cat.values()]
    assert len(labels) == len(set(labels))  # aliases dropped: an accessible name names one icon
    assert cat["document-save"].func == "saves the current file" and cat["edit-undo"].label == "Undo"
    # derived from the freedesktop name when not curated: the verb found, the object named
    derived = {n: i for n, i in cat.items() if n not in iconset.CURATED and i.func}
    assert len(derived) >= 200
    assert cat["node-delete"].label == "Delete node" and cat["node-delete"].func == "deletes the node"
    assert all(re.fullmatch(r"[a-z]+s( to)?( the [a-z ]+| [a-z ]+)?", i.func) for i in derived.values()), \
        [i.func for i in derived.values() if not re.fullmatch(r"[a-z]+s( to)?( the [a-z ]+| [a-z ]+)?", i.func)][:5]
    assert iconset.svg_uri("document-save").startswith("data:image/svg+xml;base64,")
    assert iconset.svg_uri("document-save") != iconset.svg_uri("document-save", dark=True)


@pytest.fixture(scope="module")
def screens():
    """Every archetype's 4K page (HTML), built without a browser."""
    out = {}
    for k, name in enumerate(ARCHETYPES):
        ui = Ui(random.Random(k), "light" if k % 2 else "dark", "dejavu-sans", 12, name, LOOKS[k % 3])
        out[name] = page(ui, "pro", 3840, 2160)
    return out


def test_four_or_more_archetypes_per_group_each_a_dense_screen_of_breeze_icons(screens):
    per_group = Counter(a.group for a in ARCHETYPES.values())
    assert set(per_group) == set(GROUPS) and min(per_group.values()) >= 4
    controls = {name: doc.count("data-oid=") for name, doc in screens.items()}
    assert statistics.median(controls.values()) >= 300, controls
    assert min(controls.values()) >= 150, controls
    cat = iconset.catalog()
    for name, doc in screens.items():
        icons = re.findall(r'data-icon="([a-z0-9-]+)"', doc)
        theme = [i for i in icons if i in cat and i not in {icon for _, icon in TOGGLES}]
        assert len(theme) >= 40, (name, len(theme))
        assert len(theme) == len(set(theme)), name  # each toolbar icon at most once per screen (row toggles repeat)
    # the platform looks draw their own window controls
    assert 'aria-label="Close window"' in screens["ide"] and "tl" in screens[list(ARCHETYPES)[1]]


def test_a_gap_plan_for_cad_icons_draws_cad_archetypes_with_icon_targets(tmp_path):
    from omnisynth.gap.plan import load_plan, make_plan, plan_yaml
    from omnisynth.gap.results import Outcome, per_category
    from omnisynth.generators.gui.generator import GuiGenerator
    from omnisynth.schemas.truth import SampleSpec

    outcomes = ([Outcome(("CAD/icon",), i % 5 == 0, "x") for i in range(60)]
                + [Outcome(("Office/icon",), i % 2 == 0, "x") for i in range(60)]
                + [Outcome(("Dev/text",), i % 10 != 3, "x") for i in range(60)])
    plan = make_plan(per_category(outcomes), "screenspot_pro", 200)
    (tmp_path / "p.yaml").write_text(plan_yaml(plan, 0.05, 0.05))
    loaded, recipes = load_plan(str(tmp_path / "p.yaml"))
    recipe = next(r for p, r in zip(loaded.parts, recipes, strict=True) if p.category == "CAD/icon")
    assert recipe.task.targets == "icon" and recipe.generator.groups == ["CAD"]
    gen = GuiGenerator(recipe.generator, recipe.task)  # plans only: no browser starts
    plans = [gen.plan(SampleSpec(recipe.name, 0, i, 0)) for i in range(40)]
    assert all(p.family == "pro" and ARCHETYPES[p.archetype].group == "CAD" for p in plans)
    assert len({p.archetype for p in plans}) == 4 and len({p.look for p in plans}) == 3
    office = next(r for p, r in zip(loaded.parts, recipes, strict=True) if p.category == "Office/icon")
    assert office.generator.groups == ["Office"]
