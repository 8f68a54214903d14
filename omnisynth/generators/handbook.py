"""The bundled default prose: *The Debian Administrator's Handbook* (Raphaël Hertzog and Roland
Mas, GPL-2.0+ or CC-BY-SA-3.0), Debian package `debian-handbook`, installed by `scripts/setup.sh`.

Its HTML is read from /usr/share/doc/debian-handbook/html/<locale>/ in book order (each page's
`<link rel="next">`), sections from the `h1`-`h4` titles and paragraphs from `div.para`; notes,
sidebars, tables of contents, examples and screens are left out, and so is every paragraph
`prose._keep` refuses (too short, not a sentence, untranslated English in a translation).
"""

from __future__ import annotations

import html.parser
import re
from functools import lru_cache
from pathlib import Path

from omnisynth.generators.prose import Prose, Section, _keep, fold, renderable

HANDBOOK = Path("/usr/share/doc/debian-handbook/html")
HANDBOOK_NAME = "debian-handbook"
HANDBOOK_LICENCE = "GPL-2.0-or-later OR CC-BY-SA-3.0 (The Debian Administrator's Handbook, R. Hertzog and R. Mas)"
# omnisynth language -> the handbook's locale folder
HANDBOOK_LOCALES = {"en": "en-US", "zh": "zh-CN", "ja": "ja-JP", "ko": "ko-KR",
                    "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
_SKIP = {"toc", "sidebar", "note", "tip", "important", "warning", "caution", "example", "figure", "table",
         "informaltable", "screen", "programlisting", "docnav", "legalnotice", "revhistory", "index", "indexdiv",
         "footnotes", "footnote", "mediaobject", "itemizedlist", "orderedlist", "variablelist", "qandaset",
         "book", "authorgroup", "abstract"}
_HEADINGS = {"h1", "h2", "h3", "h4"}
_NUMBER = re.compile(r"^\s*((?:Chapter|Appendix|Capítulo|Chapitre|Kapitel|Anhang|Annexe|Apéndice|第)?\s*"
                     r"[0-9A-Z]+(?:\.[0-9]+)*\.?\s*(?:章|장)?\.?)\s+")


class _HandbookPage(html.parser.HTMLParser):
    """Headings and plain paragraphs of one DocBook HTML page, in order: ("h", text) and ("p", text).

    A paragraph holding a block (a list, a screen, a nested note) is left out whole: its text
    would not read as one run of prose.
    """

    BLOCKS = ("div", "ul", "ol", "dl", "table", "pre", "blockquote")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str]] = []
        self.next: str | None = None
        self._hidden: list[bool] = []  # per open block: is its text left out
        self._grab: str | None = None  # "h" or "p" while reading a heading or a paragraph
        self._depth = 0  # blocks open inside the paragraph being read
        self._tainted = False
        self._buf: list[str] = []
        self._sup = 0  # footnote markers are not prose

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag == "link" and a.get("rel") == "next":
            self.next = a.get("href")
        elif tag == "sup":
            self._sup += 1
        elif tag in self.BLOCKS:
            if self._grab == "p":
                self._depth += 1
                self._tainted = True
                return
            hidden = ((bool(self._hidden) and self._hidden[-1]) or bool(classes & _SKIP) or tag != "div"
                      or a.get("id") == "banner")
            self._hidden.append(hidden)
            if "para" in classes and not hidden:
                self._grab, self._buf, self._depth, self._tainted = "p", [], 0, False
        elif tag in _HEADINGS and "title" in classes and not (self._hidden and self._hidden[-1]):
            self._grab, self._buf = "h", []

    def handle_endtag(self, tag):
        if tag == "sup" and self._sup:
            self._sup -= 1
        elif tag in self.BLOCKS:
            if self._grab == "p" and self._depth:
                self._depth -= 1
                return
            if self._hidden:
                self._hidden.pop()
            if self._grab == "p":
                if not self._tainted:
                    self.items.append(("p", "".join(self._buf)))
                self._grab = None
        elif tag in _HEADINGS and self._grab == "h":
            self.items.append(("h", "".join(self._buf)))
            self._grab = None

    def handle_data(self, data):
        if self._grab and not self._sup:
            self._buf.append(data)


def _split_number(heading: str) -> tuple[str, str]:
    """'6.2. The apt-get Command' -> ('6.2', 'The apt-get Command'); unnumbered -> ('', heading)."""
    m = _NUMBER.match(heading)
    if not m:
        return "", heading
    return m.group(1).strip().rstrip("."), heading[m.end():]


@lru_cache(maxsize=None)
def handbook(language: str) -> Prose:
    """The bundled handbook in one language, its sections in book order.

    Raises FileNotFoundError naming the package when it is not installed (scripts/setup.sh
    installs it).
    """
    folder = HANDBOOK / HANDBOOK_LOCALES.get(language, language)
    if not (folder / "index.html").is_file():
        raise FileNotFoundError(f"the bundled prose is missing: {folder}/index.html (Debian package "
                                f"{HANDBOOK_NAME}; run scripts/setup.sh)")
    sections, seen, page = [], set(), "index.html"
    while page and page not in seen and (folder / page).is_file():
        seen.add(page)
        parser = _HandbookPage()
        parser.feed((folder / page).read_text(encoding="utf-8", errors="replace"))
        current: tuple[str, str] | None = None
        paragraphs: list[str] = []
        for kind, raw in parser.items + [("h", "")]:
            text = fold(raw, language)
            if kind == "p":
                if current and _keep(text, language):
                    paragraphs.append(text)
                continue
            if current and paragraphs:
                sections.append(Section(f"{page}#{current[0]}" if current[0] else page, current[1], tuple(paragraphs)))
            number, title = _split_number(text)
            current = (number, title) if title and renderable(title, language) and len(title) <= 90 else None
            paragraphs = []
        page = parser.next
    if not sections:
        raise ValueError(f"no renderable prose in {folder}")
    return Prose(f"{HANDBOOK_NAME}/{folder.name}", HANDBOOK_LICENCE, tuple(sections))


@lru_cache(maxsize=None)
def parallel(source: str, target: str) -> dict[str, str]:
    """The handbook as a parallel corpus: each `source`-language paragraph (in `textlayer.squash` form)
    -> the same paragraph in `target`, as the handbook's translators wrote it.

    Pages are paired by file name, and paragraphs by position, only where the two pages hold the same
    sequence of headings and paragraphs (all 127 pages do for en-US/zh-CN); a paragraph `prose._keep`
    refuses in the source, one left untranslated or not written in the target's script, and one whose
    text occurs twice with different translations are left out. Empty when either locale is missing.
    """
    from omnisynth.generators.prose import CJK, _english_share, _native_share
    from omnisynth.generators.textlayer import squash

    folders = [HANDBOOK / HANDBOOK_LOCALES.get(lang, lang) for lang in (source, target)]
    if not all(f.is_dir() for f in folders):
        return {}
    pairs: dict[str, str] = {}
    clashes: set[str] = set()
    for page in sorted(p.name for p in folders[0].glob("*.html")):
        items = []
        for folder in folders:
            parser = _HandbookPage()
            path = folder / page
            parser.feed(path.read_text(encoding="utf-8", errors="replace") if path.is_file() else "")
            items.append(parser.items)
        if [k for k, _ in items[0]] != [k for k, _ in items[1]]:
            continue
        for (kind, s), (_, t) in zip(items[0], items[1], strict=True):
            s, t = fold(s, source), fold(t, target)
            if kind != "p" or not _keep(s, source) or not t or squash(s) == squash(t):
                continue
            if (_native_share(t) < 0.5) if target in CJK else (target == "en" and _english_share(t) < 0.08):
                continue  # the target page left this paragraph in another language
            key = squash(s)
            if key in pairs and pairs[key] != t:
                clashes.add(key)
            pairs[key] = t
    return {k: v for k, v in pairs.items() if k not in clashes}


TRANSLATION_PAIRS = {"en": "zh", "zh": "en"}  # page language -> the language text_translation asks for


@lru_cache(maxsize=None)
def translated(language: str) -> Prose:
    """The handbook in `language` cut to the paragraphs that have a translation in its pair language
    (`TRANSLATION_PAIRS`, `parallel`): the prose of pages planned for text_translation. The whole
    handbook where the language has no pair or no paragraph is paired."""
    from omnisynth.generators.textlayer import squash

    book = handbook(language)
    pairs = parallel(language, TRANSLATION_PAIRS[language]) if language in TRANSLATION_PAIRS else {}
    sections = tuple(Section(s.ref, s.heading, kept) for s in book.sections
                     for kept in [tuple(p for p in s.paragraphs if squash(p) in pairs)] if kept)
    return Prose(book.name, book.licence, sections) if sections else book
