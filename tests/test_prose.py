"""Real text on synthetic pages: the bundled handbook or your corpus, read in order; entities from Faker;
seven languages printed without a glyph missing."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
import pymupdf
import pytest

from omnisynth.generators.content import LABELS, WORDS_EN
from omnisynth.generators.documents.canvas import paint, text_width
from omnisynth.generators.documents.config import LANGUAGES, DocumentGenerator as DocConfig
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.generators.handbook import HANDBOOK_LICENCE, handbook
from omnisynth.generators.prose import load_corpus
from omnisynth.generators.textlayer import squash
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec

PRINTED = ["report", "paper", "slide", "table", "chart", "form", "invoice"]


def generator(family: str, language: str = "en", content: dict | None = None) -> DocumentGenerator:
    config = DocConfig(families=[family], languages={language: 1.0}, dpi=72, content=content or {})
    return DocumentGenerator(config, TaskConfig(kind="doc_qa"))


def running_text(truth) -> list[tuple[str, str]]:
    """(kind, text) of every printed line of running text: paragraph lines, headings, titles."""
    return [(f.kind, f.text) for f in truth.facts if f.kind in ("line", "heading", "title")]


def sections_named(sources: list[str], prose) -> list:
    by_ref = {f"{prose.name}/{s.ref}": s for s in prose.sections}
    return [by_ref[s] for s in sources]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_line_of_running_text_is_a_span_of_the_handbook_sections_in_provenance(language):
    prose = handbook(language)
    order = {f"{prose.name}/{s.ref}": i for i, s in enumerate(prose.sections)}
    lexicon = set(WORDS_EN)
    labels = {v for v in LABELS[language].values() if isinstance(v, str)}
    checked = 0
    for family in ("report", "paper", "slide", "table", "chart"):
        gen = generator(family, language)
        for index in range(3):
            _, truth = gen.render(SampleSpec("t", 0, index, 0))
            sources = truth.meta["text_sources"]
            assert truth.meta["text_licence"] == HANDBOOK_LICENCE and sources
            # the document reads consecutive sections of the book, in book order
            at = [order[s] for s in sources]
            assert at == [(at[0] + i) % len(prose.sections) for i in range(len(at))]
            sections = sections_named(sources, prose)
            paragraphs = [p for s in sections for p in s.paragraphs]
            headings = [s.heading for s in sections]
            for kind, text in running_text(truth):
                pool = paragraphs if kind == "line" else headings + paragraphs
                if kind == "heading" and text in labels:  # the family's own fixed label ("Abstract")
                    continue
                assert any(text in p for p in pool), f"{language} {family} {kind} {text!r} is not from the handbook"
                checked += 1
            if language == "en":  # not the old lexicon: a lexicon sentence is a run of pool words only
                lines = [t for k, t in running_text(truth) if k == "line"]
                assert not any(set(re.findall(r"[a-z]+", t.lower())) <= lexicon for t in lines if len(t.split()) > 4)
    assert checked > 60


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_glyph_on_pages_of_seven_languages_has_a_font_and_reads_back(language):
    """No tofu: each printed character exists in the font that prints it, and the text layer reads every
    text run back as the text drawn (a character a font cannot encode comes back as '·' or not at all)."""
    fonts: dict[str, pymupdf.Font] = {}
    for family in ("report", "invoice", "form"):
        plan = generator(family, language).plan(SampleSpec("t", 0, 1, 0))
        for cv in plan.pages:
            doc = pymupdf.open()
            page = doc.new_page(width=cv.width, height=cv.height)
            paint(page, cv.ops)
            for op in cv.ops:
                if op[0] != "text":
                    continue
                _, x, baseline, text, fontname, size, _ = op
                font = fonts.setdefault(fontname, pymupdf.Font(fontname))
                missing = [c for c in text if not c.isspace() and not font.has_glyph(ord(c))]
                assert not missing, f"{language} {family}: {fontname} has no glyph for {missing} in {text!r}"
                width = text_width(text, fontname, size)
                box = pymupdf.Rect(x, baseline - size * 0.8, x + width, baseline + size * 0.15)
                read = page.get_textbox(box)
                assert squash(text) in squash(read), f"{language} {family}: {text!r} reads back as {read!r}"
            doc.close()


def test_entities_come_from_faker_in_the_page_locale():
    from faker.providers.company.zh_CN import Provider as ZhCompany
    from faker.providers.person.en_US import Provider as EnPerson

    first = set(EnPerson.first_names) if not isinstance(EnPerson.first_names, dict) else set(EnPerson.first_names)
    seen_us_address = seen_person = 0
    gen = generator("invoice")
    for index in range(6):
        _, truth = gen.render(SampleSpec("t", 0, index, 0))
        address = next(f.text for f in truth.facts if f.kind == "address")
        # Faker's en_US addresses: '<street>, <city>, <state> <zip>' (or an APO/FPO military address)
        seen_us_address += bool(re.search(r"[A-Z]{2} \d{5}$", address))
    gen = generator("report")
    for index in range(6):
        _, truth = gen.render(SampleSpec("t", 0, index, 0))
        byline = next(f.text for f in truth.facts if f.kind == "byline")
        person = byline.split(" | ")[0]
        seen_person += any(token in first for token in person.replace(".", "").split())
    assert seen_us_address == 6 and seen_person == 6
    suffixes = tuple(ZhCompany.company_suffixes)
    gen = generator("invoice", "zh")
    for index in range(4):
        _, truth = gen.render(SampleSpec("t", 0, index, 0))
        company = next(f.text for f in truth.facts if f.kind == "title")
        assert company.endswith(suffixes), company


@pytest.fixture(scope="module")
def my_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("texts")
    para = ("Tide tables printed by the harbour office list the high and low water of every day, and the pilots "
            "plan each crossing of the bar with them before the ferries leave in the morning.")
    (folder / "a_harbour.md").write_text(
        f"# Harbour Almanac\n\nIntro paragraph one of the almanac, long enough to be kept as running prose here.\n\n"
        f"## Tides and Pilots\n\n{para}\n\n| a | b |\n|---|---|\n\n## Lighthouses\n\n"
        "Three lighthouses guard the approach; the oldest one was built of granite in 1822 and still turns.\n")
    records = [{"body": f"Record {i} tells how the cooperative of the valley sold its apples, pears and cider "
                        f"at the market of the town in year {2000 + i}.", "name": f"Market Year {i}"}
               for i in range(4)]
    (folder / "b_markets.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    pq.write_table(pa.table({"body": ["Parquet rows hold the longer chronicle of the bridge that the town rebuilt "
                                      "after the flood, with every stone counted twice."],
                             "name": ["Bridge Chronicle"]}), folder / "c_bridge.parquet")
    return folder


def test_your_corpus_gives_the_running_text_in_order_with_its_headings(my_corpus):
    prose = load_corpus(str(my_corpus), "en", text_field="body", title_field="name")
    assert [s.heading for s in prose.sections] == [
        "Harbour Almanac", "Tides and Pilots", "Lighthouses", "Market Year 0", "Market Year 1", "Market Year 2",
        "Market Year 3", "Bridge Chronicle"]
    assert prose.sections[1].paragraphs[0].startswith("Tide tables") and len(prose.sections[1].paragraphs) == 1
    gen = generator("report", content={"path": str(my_corpus), "field": "body", "title_field": "name"})
    paragraphs = [p for s in prose.sections for p in s.paragraphs]
    for index in range(3):
        _, truth = gen.render(SampleSpec("t", 0, index, 0))
        assert truth.meta["text_sources"][0].startswith(f"corpus:{my_corpus}/")
        lines = [t for k, t in running_text(truth) if k == "line"]
        assert lines and all(any(t in p for p in paragraphs) for t in lines)
        headings = [t for k, t in running_text(truth) if k == "heading"]
        assert headings and set(headings) <= {s.heading for s in prose.sections}


def test_a_corpus_without_the_named_field_or_path_is_refused_up_front(my_corpus, tmp_path):
    with pytest.raises(pydantic.ValidationError, match="content.field.*'text'"):
        DocConfig(families=["report"], languages={"en": 1.0}, content={"path": str(my_corpus / "b_markets.jsonl")})
    with pytest.raises(pydantic.ValidationError, match="does not exist"):
        DocConfig(families=["report"], content={"path": str(tmp_path / "nowhere")})
    (tmp_path / "only_code.md").write_text("```\nls -l\n```\n")
    with pytest.raises(pydantic.ValidationError, match="no paragraph"):
        DocConfig(families=["report"], languages={"en": 1.0}, content={"path": str(tmp_path / "only_code.md")})


def test_a_word_wider_than_its_line_is_broken_between_characters():
    from omnisynth.generators.documents.canvas import Canvas

    cv = Canvas(200, 200, 0, "en", "helvetica")
    path = "/usr/share/doc/openvpn/examples/sample-config-files/server.conf.gz"
    lines = cv.wrap(f"see {path} for more", 120, 10)
    assert "".join(lines).replace(" ", "") == f"see{path}formore" and len(lines) >= 3
    assert all(pymupdf.get_text_length(line, fontname="helv", fontsize=10) <= 120 for line in lines)


def test_a_one_file_corpus_names_its_sections_by_the_file_once_and_a_language_it_lacks_says_how_to_fix_it(tmp_path):
    text = tmp_path / "notes.md"
    text.write_text("# Harbour\n\nThe pilots plan each crossing of the bar with the tide tables before the ferries "
                    "leave the harbour in the morning.\n")
    gen = generator("report", content={"path": str(text)})
    _, truth = gen.render(SampleSpec("t", 0, 0, 0))
    assert truth.meta["text_sources"] and all(s.startswith(f"corpus:{text}#") for s in truth.meta["text_sources"])
    with pytest.raises(pydantic.ValidationError, match=r"content\.path: no paragraph .* renders in 'zh'.*"
                                                       r"generator\.languages=\{en: 1\.0\}"):
        DocConfig(families=["report"], languages={"en": 0.8, "zh": 0.2}, content={"path": str(text)})
