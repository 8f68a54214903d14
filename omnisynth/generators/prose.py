"""Real prose for synthetic pages: the bundled handbook, or your own text corpora.

A `Prose` is an ordered list of `Section`s (a heading and its paragraphs, in the source's
order). Documents read it with a `Reader`: a seeded start section, then section after section,
paragraph after paragraph, so the sections of one document keep their source order and read
coherently. Every paragraph drawn is a verbatim span of its source (whitespace folded to single
spaces); the reader records which sections it used (`Reader.used`), which samples carry in
their provenance.

The bundled default is *The Debian Administrator's Handbook* (omnisynth.generators.handbook).

Your own corpora (`content.path`): a txt or markdown file (blank-line paragraphs; markdown `#`
headings start sections), a JSONL or Parquet file (one record a section: `field` holds its text,
`title_field` its heading), or a folder of them, local or any pyarrow filesystem URI.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
import random

# a paragraph's characters must all be renderable by the language's fonts (PyMuPDF writes the built-in
# Base-14 Latin fonts as Latin-1; the built-in CJK fonts take the GBK / Shift JIS / UHC repertoires)
ENCODINGS = {"en": "latin-1", "de": "latin-1", "fr": "latin-1", "es": "latin-1", "zh": "gbk", "ja": "shift_jis",
             "ko": "cp949"}
# typographic punctuation as the Latin-1 the Latin fonts can print (the span is kept in this form)
TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                             "\u2014": "-", "\u2026": "...", "\u0153": "oe", "\u0152": "OE", "\u2212": "-"})
# ... and on CJK pages the punctuation whose built-in glyph reads back as another character, as ASCII
CJK_TYPOGRAPHIC = str.maketrans({"\u2026": "...", "\u2212": "-", "\u2015": "-", "\u223c": "~"})
CJK = ("zh", "ja", "ko")
CJK_FONT_NAMES = {"zh": "china-s", "ja": "japan", "ko": "korea"}


@dataclass(frozen=True)
class Section:
    """One section of a source: `ref` names it (the source page and its number), `heading` its
    title without the number, `paragraphs` its running text in order."""

    ref: str
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Prose:
    """An ordered text source: `name` for provenance, its `licence`, and its sections."""

    name: str
    licence: str
    sections: tuple[Section, ...]


def fold(text: str, language: str = "en") -> str:
    """The form paragraphs are kept, printed and compared in: NFC, whitespace folded to single
    spaces and, on Latin pages, typographic quotes, dashes and ellipses as their ASCII forms."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(CJK_TYPOGRAPHIC if language in CJK else TYPOGRAPHIC)
    return " ".join(text.split())


def renderable(text: str, language: str) -> bool:
    """True when every character has a glyph in the language's page fonts (no tofu) and reads back
    from the text layer as itself."""
    try:
        text.encode(ENCODINGS.get(language, "cp1252"))
    except UnicodeEncodeError:
        return False
    lost = _unreadable(language)
    return all(unicodedata.category(c)[0] != "C" and c not in lost for c in text)


@lru_cache(maxsize=None)
def _unreadable(language: str) -> frozenset[str]:
    """The non-ASCII characters below the CJK blocks that the language's built-in CJK font prints but
    PyMuPDF's text layer reads back as something else (measured once: '®' on Korean pages comes
    back as nothing, '…' on Chinese ones as '⋯'); empty for Latin pages."""
    if language not in CJK:
        return frozenset()
    import pymupdf

    chars = []
    for cp in range(0x80, 0x2E80):
        c = chr(cp)
        try:
            c.encode(ENCODINGS[language])
        except UnicodeEncodeError:
            continue
        if c.isprintable() and not c.isspace():
            chars.append(c)
    doc = pymupdf.open()
    lost = set()
    for start in range(0, len(chars), 20):  # one page per 20 characters, each between two letters
        batch = chars[start:start + 20]
        page = doc.new_page(width=1000, height=100)
        page.insert_text((10, 20), "中 " + " ".join(f"A{c}B" for c in batch), fontname=CJK_FONT_NAMES[language],
                         fontsize=8)
        words = page.get_text("text").split()
        lost.update(c for c in batch if f"A{c}B" not in words)
    doc.close()
    return frozenset(lost)


def _native_share(text: str) -> float:
    """The share of letters that are CJK ideographs, kana or hangul (untranslated pages are Latin)."""
    letters = [c for c in text if c.isalpha()]
    native = [c for c in letters if ord(c) > 0x2E80]
    return len(native) / max(1, len(letters))


_ENGLISH = frozenset("the and of to is in that for with this are be it which you your can from by an".split())


def _english_share(text: str) -> float:
    """The share of words that are common English function words (untranslated pages of a translation)."""
    words = text.lower().split()
    return sum(w in _ENGLISH for w in words) / max(1, len(words))


def _keep(text: str, language: str, min_words: int = 12) -> bool:
    if not renderable(text, language):
        return False
    if language in CJK:
        return len(text) >= 40 and _native_share(text) >= 0.8
    if language != "en" and _english_share(text) > 0.08:
        return False
    return len(text.split()) >= min_words and text[-1] in ".!?)\"'»"


TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".jsonl", ".json", ".parquet")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def _filesystem(path: str):
    """(pyarrow filesystem, path inside it) for a local path or a URI such as s3://bucket/dir."""
    from pyarrow import fs

    if "://" in path:
        return fs.FileSystem.from_uri(path)
    return fs.LocalFileSystem(), str(Path(path).expanduser().resolve())


def _blocks(text: str) -> list[str]:
    return [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]


def _text_sections(name: str, text: str, markdown: bool) -> list[tuple[str, str, list[str]]]:
    """(ref, heading, paragraphs) of a text file: markdown '#' headings start sections; plain text
    is one section per 8 paragraphs, named by the file."""
    out, heading, paras, n = [], Path(name).stem.replace("_", " ").replace("-", " ").strip().title(), [], 0
    for block in _blocks(text):
        first = block.strip().splitlines()[0]
        m = _MD_HEADING.match(first) if markdown else None
        if m:
            if paras:
                out.append((f"{name}#{n}", heading, paras))
                n += 1
            heading, paras = m.group(1), []
            rest = block.strip().splitlines()[1:]
            block = "\n".join(rest)
            if not block.strip():
                continue
        if markdown and block.lstrip()[:1] in "|`>-*" or block.lstrip()[:2] == "![":
            continue  # tables, code, quotes and lists are not running prose
        paras.append(block)
        if not markdown and len(paras) == 8:
            out.append((f"{name}#{n}", heading, paras))
            n, paras = n + 1, []
    if paras:
        out.append((f"{name}#{n}", heading, paras))
    return out


def _records(filesystem, path: str, name: str, text_field: str, title_field: str | None) -> list[dict]:
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path, filesystem=filesystem)
        missing = [f for f in (text_field, title_field) if f and f not in table.column_names]
        if missing:
            raise ValueError(f"content.field: {name} has no column {missing[0]!r} (columns: {table.column_names})")
        return table.select([f for f in (text_field, title_field) if f]).to_pylist()
    with filesystem.open_input_stream(path) as f:
        raw = f.read().decode("utf-8", errors="replace")
    rows = [json.loads(line) for line in raw.splitlines() if line.strip()] if name.endswith(".jsonl") else json.loads(raw)
    rows = rows if isinstance(rows, list) else [rows]
    if rows and text_field not in rows[0]:
        raise ValueError(f"content.field: {name}'s records have no field {text_field!r} (fields: {sorted(rows[0])})")
    return rows


def load_corpus(path: str, language: str, text_field: str = "text", title_field: str | None = None) -> Prose:
    """Your text corpus as `Prose`: a file or a folder (recursively, sorted by path; hidden names
    skipped) of .txt/.md/.jsonl/.json/.parquet files, local or a pyarrow filesystem URI.

    Paragraphs a page cannot render in `language` (characters without a glyph) are left out.
    Raises FileNotFoundError for a missing path, ValueError naming `content.field` or
    `content.title_field` when records lack it, and ValueError when nothing renderable is left.
    """
    from pyarrow import fs

    filesystem, root = _filesystem(path)
    info = filesystem.get_file_info(root)
    if info.type == fs.FileType.NotFound:
        raise FileNotFoundError(f"content.path: {path} does not exist")
    if info.type == fs.FileType.Directory:
        infos = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
        files = sorted(i.path for i in infos if i.type == fs.FileType.File and i.path.endswith(TEXT_SUFFIXES)
                       and not any(part.startswith(".") for part in Path(i.path[len(root):]).parts))
    else:
        files = [root]
    sections = []
    for file in files:
        prefix = file[len(root):].lstrip("/")  # '' when the corpus is one file: its refs are just '#<n>'
        name = prefix or Path(file).name
        if file.endswith((".jsonl", ".json", ".parquet")):
            found = []
            for i, row in enumerate(_records(filesystem, file, name, text_field, title_field)):
                heading = str(row.get(title_field) or "") if title_field else ""
                found.append((f"{name}#{i}", heading or Path(name).stem, _blocks(str(row.get(text_field) or ""))))
        else:
            with filesystem.open_input_stream(file) as f:
                found = _text_sections(name, f.read().decode("utf-8", errors="replace"), not file.endswith(".txt"))
        for ref, heading, paragraphs in found:
            ref = ref if prefix else ref[len(name):]
            kept = tuple(p for p in (fold(x, language) for x in paragraphs) if _keep(p, language, min_words=6))
            if kept:
                heading = fold(heading, language)
                sections.append(Section(ref, heading if renderable(heading, language) else "", kept))
    if not sections:
        raise ValueError(f"content.path: no paragraph in {path} renders in {language!r} "
                         f"(files read: {len(files)}; suffixes {', '.join(TEXT_SUFFIXES)}); if the text is in "
                         f"other languages, name them: --set 'generator.languages={{en: 1.0}}'")
    return Prose(f"corpus:{path}", "as licensed by its owner", tuple(sections))


_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_loaded: dict[tuple, Prose] = {}
_lock = threading.Lock()


def prose_for(source: str, language: str, path: str = "", text_field: str = "text",
              title_field: str | None = None) -> Prose:
    """The prose a recipe's `content` names, loaded once per process: 'handbook' or 'corpus'."""
    if source == "handbook":
        from omnisynth.generators.handbook import handbook

        return handbook(language)
    key = (path, language, text_field, title_field)
    with _lock:
        if key not in _loaded:
            _loaded[key] = load_corpus(path, language, text_field, title_field)
        return _loaded[key]


@dataclass
class Reader:
    """Reads one document's running text from a `Prose`, in order, from a seeded start section.

    `heading()` moves to the next section and returns its heading; `paragraph()` returns the
    current section's next paragraph (moving on when it is used up); `sentence(lo, hi)` a
    sentence of lo-hi words (characters / 2 for CJK) or a word-boundary prefix of one.
    `used` lists the refs of the sections read, in order.
    """

    prose: Prose
    rng: random.Random
    language: str
    used: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._s = self.rng.randrange(len(self.prose.sections)) - 1
        self._p = 0
        self._sentences: list[str] = []
        self._advance()

    def _advance(self) -> Section:
        self._s = (self._s + 1) % len(self.prose.sections)
        self._p = 0
        section = self.prose.sections[self._s]
        if section.ref not in self.used:
            self.used.append(section.ref)
        return section

    @property
    def section(self) -> Section:
        return self.prose.sections[self._s]

    def heading(self) -> str:
        """The next section's heading (its own title, else the first words of its first paragraph)."""
        section = self._advance()
        while not section.heading and len(self.used) < len(self.prose.sections):
            section = self._advance()
        return section.heading or self.sentence(3, 7).rstrip(".")

    @property
    def remaining(self) -> int:
        """Paragraphs of the current section not read yet."""
        return len(self.section.paragraphs) - self._p

    def paragraph(self) -> str:
        section = self.section
        if self._p >= len(section.paragraphs):
            section = self._advance()
        self._p += 1
        return section.paragraphs[self._p - 1]

    def _units(self, text: str) -> int:
        return len(text) // 2 if self.language in CJK else len(text.split())

    def sentence(self, lo: int, hi: int) -> str:
        """The next sentence whose length is in [lo, hi] units; failing that, after a bounded search,
        the first `hi` words of one (a verbatim span either way)."""
        for _ in range(60):
            if not self._sentences:
                self._sentences = [s for s in _SENTENCE.split(self.paragraph()) if s.strip()]
            text = self._sentences.pop(0).strip()
            if lo <= self._units(text) <= hi:
                return text
        if self.language in CJK:
            return text[: hi * 2]
        return " ".join(text.split()[:hi])
