"""The audio-visual families: planned clips (`av`) and your own videos (`video_corpus`).

Imported by the registry (`omnisynth.families.BUILTIN`); it imports only the registry,
every other piece is named by reference and loaded where it runs.
"""

from __future__ import annotations

from omnisynth.families import Family, TaskKind, register


# samples hold sampled frames (+ wav/mp4 members): Energon reads them as multi-image samples
register(Family(
    kind="av",
    config="omnisynth.generators.clips.config:AvGenerator",
    generator="omnisynth.generators.clips.generator:AvGenerator.from_recipe",
    tasks=(
        TaskKind("av_caption", ("scene_by_scene", "summary")),
        TaskKind("av_temporal_qa", ("seen_when_heard", "scene_when_heard", "heard_when_seen", "order", "count",
                                    "duration")),
        TaskKind("av_interaction_qa", ("touch", "overtake", "colour_change", "hand_over", "who_did", "did_after")),
        TaskKind("av_speech_qa", ("said_after", "said_between", "said_by")),
    ),
    writer="omnisynth.tasks.clips:oracle_writer",
    model_task="omnisynth.model.model_tasks:AvModelTask",
    filters="omnisynth.filters.av:av_filters",
    images=False,
    multi_image=True,
    module=__name__,
))

register(Family(
    kind="video_corpus",
    config="omnisynth.generators.clips.config:VideoCorpusGenerator",
    generator="omnisynth.generators.clips.generator:VideoCorpusGenerator.from_recipe",
    tasks=(TaskKind("video_caption", ("describe",)),),
    writer="omnisynth.tasks.clips:oracle_writer",
    model_task="omnisynth.model.model_tasks:VideoModelTask",
    filters="omnisynth.filters.av:av_filters",
    probe="omnisynth.generators.clips.probe:probe_media",
    unit="clips",
    images=False,
    multi_image=True,
    judge_by_default=True,  # your videos have no plan to check a caption against
    module=__name__,
))
