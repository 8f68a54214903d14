"""The GUI families: procedural app screens (`gui`) and your own HTML pages (`html_corpus`).

Imported by the registry (`omnisynth.families.BUILTIN`); it imports only the registry,
every other piece is named by reference and loaded where it runs.
"""

from __future__ import annotations

from omnisynth.families import Family, TaskKind, register

GROUNDING = ("label", "function", "position", "absent")


def _multi_image(generator: dict) -> bool:
    # gui_actions with the screens before earlier steps; episodes (family app): a screenshot per step
    return generator.get("history_screens", 0) > 0 or generator.get("families") == ["app"]


def _app_only(config) -> str | None:
    return None if list(config.families) == ["app"] else "needs generator.families [app] (menus that open dialogs)"


# the live page is the ground truth: filters hit-test it inside the browser workers
register(Family(
    kind="gui",
    config="omnisynth.generators.gui.config:GuiGenerator",
    generator="omnisynth.generators.gui.generator:GuiGenerator.from_recipe",
    tasks=(
        TaskKind("gui_grounding", GROUNDING, targets=True),
        TaskKind("gui_pro_grounding", GROUNDING, targets=True),
        # state readouts and action traces: only the oracle has them
        TaskKind("gui_qa", ("field_value", "toggle_state", "selected_option", "active_tab", "screen_text", "count"),
                 model=False),
        TaskKind("gui_actions", ("click", "type", "select", "scroll"), model=False, degrade=False),
        # OSWorld-style episodes: one sample per goal, a screenshot per step (omnisynth.generators.gui.app)
        TaskKind("gui_episode", ("episode",), model=False, degrade=False, check=_app_only),
    ),
    writer="omnisynth.tasks.gui:oracle_writer",
    model_task="omnisynth.model.model_tasks:GuiModelTask",
    filters="omnisynth.filters.gui:gui_filters",
    multi_image=_multi_image,
    check_blank=False,  # the live page proved every target painted and visible
    live_page=True,
    module=__name__,
))

register(Family(
    kind="html_corpus",
    config="omnisynth.generators.gui.config:HtmlCorpusGenerator",
    generator="omnisynth.generators.gui.generator:HtmlCorpusGenerator.from_recipe",
    tasks=(TaskKind("html_grounding", ("label", "position"), targets=True),),
    writer="omnisynth.tasks.gui:oracle_writer",
    model_task="omnisynth.model.model_tasks:GuiModelTask",
    filters="omnisynth.filters.gui:gui_filters",
    probe="omnisynth.generators.gui.generator:probe_html",
    unit="pages",
    live_page=True,
    module=__name__,
))
