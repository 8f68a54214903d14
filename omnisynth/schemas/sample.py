"""The shard sample: what `<key>.json` holds, validated by the exported JSON Schema.

`Sample` is the contract with every consumer (our trainer, Energon, Hugging Face,
WebDataset). Its JSON Schema is exported to `sample.schema.json` beside this file by
`python -m omnisynth.schemas`, and a test keeps the two in sync.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

KEY_PATTERN = r"^[A-Za-z0-9_\-/]+$"  # no '.': WebDataset readers split the key at the first dot
MEMBER_PATTERN = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"

Modality = Literal["image", "audio", "video", "text"]
BBox = Annotated[list[float], Field(min_length=4, max_length=4, description="[x0, y0, x1, y1]")]
Quad = Annotated[list[Annotated[list[float], Field(min_length=2, max_length=2)]], Field(
    min_length=4, max_length=4, description=(
        "the box's corners where they are in the image, [[x, y] x 4] from the top-left clockwise (as the text "
        "reads): on a degraded (rotated, warped) image the exact quadrilateral, whose axis-aligned box is bbox_px; "
        "else bbox_px's own corners"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Strict):
    type: Literal["text"] = "text"
    text: str


class ImagePart(_Strict):
    type: Literal["image"] = "image"
    image: str = Field(pattern=MEMBER_PATTERN, description="tar member extension holding the image, e.g. 'png'")


class AudioPart(_Strict):
    type: Literal["audio"] = "audio"
    audio: str = Field(pattern=MEMBER_PATTERN)


class VideoPart(_Strict):
    type: Literal["video"] = "video"
    video: str = Field(pattern=MEMBER_PATTERN)


ContentPart = Annotated[TextPart | ImagePart | AudioPart | VideoPart, Field(discriminator="type")]


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: list[ContentPart] = Field(min_length=1)


class Media(_Strict):
    member: str = Field(pattern=MEMBER_PATTERN, description="extension of the tar member: '<key>.<member>'")
    modality: Modality
    width: int = Field(ge=0, description="pixels; 0 for audio")
    height: int = Field(ge=0, description="pixels; 0 for audio")
    page: int = Field(ge=0, description="0-based page of the source document")
    time_s: float = Field(ge=0, description="a video frame: its timestamp in the clip, seconds; 0 otherwise")
    duration_s: float = Field(ge=0, description="audio/video: length in seconds (0: no audio track); 0 for images")


class Grounding(_Strict):
    """One box on one image: where a referring expression or an answer lies."""

    label: str = Field(description="the text or referring expression the box belongs to")
    image: str = Field(pattern=MEMBER_PATTERN, description="member holding the image the box is on")
    page: int = Field(ge=0)
    image_size: Annotated[list[int], Field(min_length=2, max_length=2, description="[width, height] in pixels")]
    bbox_px: BBox
    bbox_norm: BBox = Field(description="bbox_px divided by image width/height, in [0, 1]")
    bbox_1000: Annotated[list[int], Field(min_length=4, max_length=4, description="bbox_norm x 1000, rounded")]
    quad_px: Quad
    point_px: Annotated[list[float], Field(min_length=2, max_length=2, description=(
        "where to point: the box centre for document text; for a GUI element a point the live page "
        "confirmed hits the element (topmost there)"))]
    role: str = Field(description="ARIA role of a GUI target ('button', 'textbox', ...); 'text' for document text")
    area_fraction: float = Field(ge=0, le=1, description="box area / image area (tiny targets: well under 0.001)")


class Evidence(_Strict):
    """Where the answer is: the text (or chart mark, or whole table) under a box on a page."""

    kind: Literal["text", "chart_mark", "table", "formula"] = Field(description=(
        "text: `text` is under the box; chart_mark: a plotted mark; table: the box holds the parsed table "
        "(table_parsing; `text` ''); formula: a typeset equation, `text` the glyphs its LaTeX sets"))
    page: int = Field(ge=0)
    image: str = Field(pattern=MEMBER_PATTERN)
    bbox_px: BBox
    quad_px: Quad
    text: str = Field(description="the text under the box, or the mark's label for chart_mark")
    value: str = Field(description="the number as written or plotted ('15,772.38', '76'); '' if none")


class Derivation(_Strict):
    """How the answer follows from the evidence, so filters can recompute it.

    Fixed fields (empty when unused) so every sample has the same JSON shape: Hugging
    Face's loader infers one schema from the first samples and rejects any other shape.
    """

    op: Literal["extract", "chart_value", "page_of", "argmax", "locate", "element", "state", "action", "timeline",
                "absent", "transcribe", "markdown", "latex", "graph", "spot", "count", "table_html", "chart_table", "kie", "arithmetic",
                "classify", "count_pages", "earliest", "translate", "episode"] = Field(description=(
        "episode: the actions of a GUI episode toward the goal `target`, one per line, each on its own screenshot; "
        "`labels` the settings the page ends with ('name = value'). "
        "count_pages: the number of pages the word `target` is on, one evidence item per page; earliest: the "
        "label (`labels`, one per evidence item) whose evidence is on the earliest page. "
        "absent: a negative sample: the document does not hold what is asked (`target`); the answer says so and "
        "evidence and grounding are empty. doc_parse (OCRBench v2 formats): transcribe: page 1's text lines in "
        "reading order; markdown: page 1 as markdown (# title, ## headings, paragraphs, tables as HTML, equations as $$ LaTeX \\tag{n} $$); latex: the LaTeX of equation `target` under evidence[0]; graph: the diagram's node in `relation` (next | previous | branch, through the edge labelled labels[0] | manager | reports, a count) to node `target`; spot: every word of page 1 as [x1, y1, x2, y2, text] (0-1000); count: occurrences of "
        "the word `target`; table_html: the table under evidence[0] as HTML; chart_table: the chart `target` "
        "as JSON {series: {category: value}}; kie: JSON {key: value}, keys in `labels`; arithmetic: "
        "`relation` (sum | difference | average) of the numbers under the evidence, `target` the worked "
        "expression; classify: the document type of family `target`, choices in `labels`; translate: the "
        "paragraph `target` (under evidence[0]) in language labels[1], as the bundled handbook's translators wrote it"))
    labels: list[str] = Field(description=(
        "argmax, earliest: the label of each evidence item, in order; timeline: the ids of the events the answer rests on; "
        "chart_table: 'series<TAB>category' of each evidence mark; kie: each evidence field's key; arithmetic: "
        "each operand's row; classify: the choices offered; translate: [source language, target language]"))
    target: str = Field(description=(
        "locate: the text the grounding box must hold; absent: the field name the document does not contain; "
        "element/state/action: the target element's accessible "
        "name (or, for relation 'function', what the element does); count, count_pages: the word counted; table_html: the "
        "table's id; chart_table: the chart's title; arithmetic: the worked expression; classify: the family; translate: the source paragraph"))
    role: str = Field(description="element/state/action: the target's ARIA role; '' otherwise")
    relation: str = Field(description=(
        "element: how the target is referred to: label | function | right_of | left_of | above | below; "
        "state: value | checked | selected_option | active_tab | text | count; timeline: the question type "
        "(seen_when_heard, order, touch, said_after, ...); arithmetic: sum | difference | average; graph: next | previous | branch | manager | reports; '' otherwise"))
    anchor: str = Field(description="element: the accessible name of the element a position is relative to")
    ui_type: Literal["", "text", "icon", "other"] = Field(description=(
        "element: the target as ScreenSpot-Pro types it: text (shows its name as text), icon (an icon only), "
        "other (a field, a cell); '' elsewhere"))
    answer_format: Literal["", "Int", "Float", "Str", "List", "None"] = Field(description=(
        "documents: the answer's format as MMLongBench-Doc names it (None: not answerable); '' elsewhere"))
    evidence_sources: list[Literal["Pure-text (Plain-text)", "Generalized-text (Layout)", "Table", "Chart",
                                   "Figure"]] = Field(description=(
        "documents: where the evidence is, in MMLongBench-Doc's source names, one per kind; [] elsewhere"))


class Action(_Strict):
    """GUI trajectories: the next action toward `goal` after `history`, and what it changed.

    Fixed shape for every sample: type 'none' (and empty fields) where there is no action.
    """

    type: Literal["none", "click", "type", "select", "scroll"]
    point_px: Annotated[list[float], Field(min_length=2, max_length=2, description="click/select/scroll: where")]
    point_1000: Annotated[list[int], Field(min_length=2, max_length=2, description="point_px scaled to 0-1000")]
    text: str = Field(description="type: the text typed; select: the option chosen")
    scroll_px: Annotated[list[float], Field(min_length=2, max_length=2, description="scroll: [dx, dy] in pixels")]
    goal: str
    step: int = Field(ge=0, description="0-based index of this action in the trajectory")
    steps: int = Field(ge=0, description="actions in the whole trajectory")
    history: list[str] = Field(description="the earlier actions, as the answers that wrote them")
    result: str = Field(description="the state change the action caused, read back from the live page")


class Event(_Strict):
    """One entry of a clip's timeline: the plan that rendered it (or, for your own videos, what was measured)."""

    id: int = Field(ge=0, description="index in `events`, in start order; derivation.labels cite it")
    modality: Literal["audio", "visual"]
    kind: str = Field(description=(
        "visual: enter | leave | present | touch | overtake | colour_change | scene_change | text | counter | caption | "
        "hand_over | pick_up | put_down | push | wave | point (a person's acts); "
        "audio: tone | beep | bell | noise | music | speech | effect (a recording) (your videos: scene_change, sound)"))
    start: float = Field(ge=0, description="seconds from the clip start")
    end: float = Field(ge=0, description="seconds; == start for an instant")
    text: str = Field(description=(
        "speech: what is said; text/counter/caption: what is written; colour_change: the new colour; scene_change: the "
        "new background ('a photo of storm clouds over a road', 'footage of city street'); effect: what it sounds like "
        "('phone ringing'); a person's act: the object handled ('red box')"))
    subject: str = Field(description="the object or person the event is about ('red circle', 'person in the blue "
                         "shirt'); '' for sounds and text")
    other: str = Field(description="touch/overtake: the other object; hand_over/wave: the other person; point: what "
                       "is pointed at")
    scene: int = Field(ge=0, description="0-based scene the event falls in")
    track: list[Annotated[list[float], Field(min_length=5, max_length=5)]] = Field(description=(
        "visual: the subject's box over the event, [t, x0, y0, x1, y1] in video pixels at key times; [] for audio"))
    freq_hz: float = Field(ge=0, description="tone/beep/bell: the fundamental frequency; 0 otherwise")


class SamplingParams(_Strict):
    """What the model was asked with; zeros for the oracle (no model)."""

    temperature: float = Field(ge=0)
    top_p: float = Field(ge=0, le=1)
    max_tokens: int = Field(ge=0)
    seed: int = Field(description="the request's seed; -1 when unseeded or no model")


class Provenance(_Strict):
    recipe: str
    seed: int
    index: int = Field(ge=0)
    engine: Literal["oracle", "vllm", "openai"]
    model: str = Field(description="model name or path; '' for the oracle")
    sampling: SamplingParams
    generator: str
    generator_version: str
    prompt_hash: str
    config_hash: str
    filter_scores: dict[str, float] = Field(description="scores filters gave the sample, e.g. the judge's 1-5")
    text_sources: list[str] = Field(description=(
        "where the running text printed in the media comes from, '<source>#<section>' per section read, in "
        "reading order (e.g. 'debian-handbook/en-US/apt.html#6.2'); [] when the media prints none"))
    text_licence: str = Field(description="the licence of that text; '' when text_sources is empty")


class Density(_Strict):
    """How full a rendered document's pages are, averaged over its pages (comparable with the
    benchmarks' published figures: README, Text on pages); zeros for media that are not rendered pages."""

    words_per_page: float = Field(ge=0, description="words in the text layer per page")
    coverage: float = Field(ge=0, le=1, description=(
        "share of the page area under content: the union of text-line boxes, filled shapes (table shading, "
        "bars, figures) and the lines of rules and outlines, measured on an 8-point grid"))
    boxes_per_page: float = Field(ge=0, description="text-line boxes of the text layer per page")
    fonts: list[str] = Field(description="the fonts printed, by their PDF names (e.g. Helvetica, Droid Sans Fallback)")


class Meta(_Strict):
    """Generator facts, one fixed shape for every generator ('' or 0 where a field does not apply)."""

    family: str = Field(description="layout family of a synthetic document; 'pdf' for your PDFs")
    language: str = Field(description="BCP 47 language of the content; 'und' when unknown")
    font: str = Field(description="body font family")
    pages: int = Field(ge=1, description="real pages in the sample (padding members excluded)")
    source: str = Field(description="source file, relative to generator.path, for your own inputs")
    source_page: int = Field(ge=0, description="0-based page of the source file")
    theme: str = Field(description="GUI colour theme ('light' | 'dark'); '' for documents")
    viewport: Annotated[list[int], Field(min_length=2, max_length=2, description=(
        "GUI: [width, height] in CSS pixels; [0, 0] for documents"))]
    scale: float = Field(gt=0, description="image pixels per CSS pixel (GUI devicePixelRatio) or per PDF point")
    duration_s: float = Field(ge=0, description="audio-visual: clip length in seconds; 0 for images")
    density: Density = Field(description="how full the pages are (rendered documents and your PDFs); zeros for "
                             "screens and clips")
    group: str = Field(description=(
        "professional screens: the ScreenSpot-Pro group the archetype imitates (Dev | Creative | CAD | Scientific | "
        "Office | OS); '' otherwise"))
    archetype: str = Field(description="professional screens: the application archetype (ide, drafting_2d, ...); ''")
    look: str = Field(description="professional screens: the platform look (windows | macos | linux); ''")
    degradations: list[str] = Field(description=(
        "the degrade stage's effects on this sample's images, 'name=strength' (prefixed 'pN:' per page of a "
        "multi-page document); [] for a clean render"))


class Sample(_Strict):
    """One training sample: a conversation about media whose ground truth is known.

    Every field is present in every sample with one JSON type (no null standing in for a
    number or a string), so loaders that infer a schema from the first samples read all.
    """

    key: str = Field(pattern=KEY_PATTERN)
    recipe: str
    task: str = Field(description="task and question type, e.g. 'doc_qa/key_value'")
    modalities: list[Modality] = Field(min_length=1)
    media: list[Media]
    messages: list[Message] = Field(min_length=2)
    question: str
    answer: str
    answers: list[str] = Field(min_length=1, description="every accepted answer; answers[0] == answer")
    grounding: list[Grounding]
    evidence: list[Evidence]
    derivation: Derivation
    action: Action
    events: list[Event] = Field(description="audio-visual: the clip's timeline, in start order; [] for images")
    meta: Meta
    provenance: Provenance
