"""Whole-document questions over your PDFs (`task.kind: pdf_long_qa`, `pdf_corpus` with `unit: document`).

MMLongBench-Doc's categories asked of a real document, every answer read from its text layer and
the structure that layer confirms (`omnisynth.generators.documents.outline`):
- `page_locate`: which page holds a section (headings from the outline or the type sizes).
- `page_fact`: a fact on page N: the full line that begins with given words on that page.
- `page_count`: on how many pages a word appears (the count over every page's text layer).
- `section_order`: which of two sections, on different pages, comes first.
- `layout_fact`: what the caption of Figure/Table n says.
- `unanswerable` (opt-in): which page holds a section the document does not have; the answer says so.
"""

from __future__ import annotations

from collections import Counter

from omnisynth.generators.textlayer import squash
from omnisynth.schemas.truth import Fact, PageTruth
from omnisynth.tasks.documents import Candidate, Unsupported, evidence, grounding
from omnisynth.tasks.longdoc import TEMPLATES as LONG_TEMPLATES
from omnisynth.tasks.longdoc import LongTasks

TEMPLATES = {"en": {
    **LONG_TEMPLATES["en"],
    "line": ["On page {page}, what does the line beginning with '{head}' say in full?",
             "Read the whole line on page {page} that starts with '{head}'."],
    "count": ["On how many pages does the word '{word}' appear?",
              "How many pages of the document mention '{word}'?"],
    "order": ["Which section comes first in the document: '{a}' or '{b}'?",
              "Which appears earlier, the section '{a}' or the section '{b}'?"],
    "caption": ["What does the caption of {target} say?", "What is the caption of {target}?"],
}}
# sections a document may lack: asked as page_locate is, the answer is the refusal when none is printed
ABSENT_SECTIONS = ("Acknowledgements", "Risk Factors", "Glossary of Terms", "Appendix C", "Safety Instructions",
                   "Warranty Information", "Executive Summary", "Limitations and Future Work", "Case Studies",
                   "Frequently Asked Questions", "Troubleshooting", "Data Availability Statement",
                   "Conflict of Interest", "Environmental Impact", "Lessons Learned", "Revision History")
STOPWORDS = frozenset("""about above after again against because before being below between could doing during
each every from further having here itself other ought their theirs them themselves then there these they this
those through under until very what when where which while whom with would your yours yourself should shall might
must also such than that into only over same some both more most will were been have does""".split())
MAX_PAGES_COUNTED = 8  # page_count asks about words on 2..8 pages: one evidence item per page


PUNCT = ".,;:!?()[]{}\"'“”‘’«»*-–—/"


def term(word: str) -> str:
    """A text-layer word in the form page_count compares: outer punctuation stripped, case-folded."""
    return word.strip(PUNCT).casefold()


def page_terms(page: PageTruth) -> dict[str, tuple]:
    """Each alphabetic term of a page and the first word (text-layer box) it occurs as."""
    out: dict[str, tuple] = {}
    for w in page.words:
        t = term(w[4])
        if t.isalpha() and t not in out:
            out[t] = w
    return out


class PdfLongTasks(LongTasks):
    """pdf_long_qa's writers over a whole PDF's text layer, headings, captions and lines."""

    MORE = TEMPLATES

    def page_fact(self) -> Candidate:
        broken = {(f.page, f.attrs["line_no"] + 1) for f in self.by_kind.get("line", ()) if f.text.endswith("-")}
        lines = [f for f in self.by_kind.get("line", ()) if len(f.text.split()) >= 5 and f.text[0].isalnum()
                 and sum(c.isalpha() for c in f.text) >= 12 and (f.page, f.attrs["line_no"]) not in broken]
        for _ in range(20):
            if not lines:
                break
            line = self.rng.choice(lines)
            words = line.text.split()
            head = " ".join(words[: self.rng.randint(3, min(5, len(words) - 2))])
            same = [f for f in self.by_kind["line"] if f.page == line.page and squash(f.text).startswith(squash(head))]
            if len(same) == 1:
                q = self.ask("line", page=line.page + 1, head=head)
                cand = self._extract("page_fact", q, line)
                cand.answer = " ".join(line.text.split())  # as read: runs of spaces in the text layer are one
                cand.answers = [cand.answer]
                return cand
        raise Unsupported("no line of five words (not the end of a hyphenated word) whose first words begin no "
                          "other line of its page")

    def page_count(self) -> Candidate:
        per_page = [page_terms(p) for p in self.truth.pages]
        counts = Counter(t for terms in per_page for t in terms)
        pool = sorted(t for t, c in counts.items() if 2 <= c <= MAX_PAGES_COUNTED and len(t) >= 5 and t not in STOPWORDS)
        if not pool:
            raise Unsupported(f"no word of five letters or more on 2-{MAX_PAGES_COUNTED} pages")
        word = self.rng.choice(pool)
        found = [(page, terms[word]) for page, terms in zip(self.truth.pages, per_page, strict=True) if word in terms]
        ev = [evidence(Fact("word", page.number, w[:4], w[4]), page) for page, w in found]
        printed = Counter(w[4].strip(PUNCT) for _, w in found).most_common(1)[0][0]  # as the pages print it
        answer = str(len(found))
        return Candidate("page_count", self.ask("count", word=printed), answer, ev, [],
                         {"op": "count_pages", "target": printed}, [answer])

    def section_order(self) -> Candidate:
        heads = self.by_kind.get("heading", [])
        if len({h.page for h in heads}) < 2:
            raise Unsupported("headings on fewer than two pages")
        a = self.rng.choice(heads)
        b = self.rng.choice([h for h in heads if h.page != a.page])
        first = a if a.page < b.page else b
        pa, pb = self.truth.page(a.page), self.truth.page(b.page)
        return Candidate("section_order", self.ask("order", a=a.text, b=b.text), first.text,
                         [evidence(a, pa), evidence(b, pb)], [grounding(a.text, pa, a), grounding(b.text, pb, b)],
                         {"op": "earliest", "labels": [a.text, b.text]}, [first.text])

    def layout_fact(self) -> Candidate:
        fact = self.pick("caption")
        cand = self._extract("layout_fact", self.ask("caption", target=fact.attrs["label"]), fact)
        cand.answer, cand.answers = fact.attrs["caption"], [fact.attrs["caption"], fact.text]
        return cand

    def unanswerable(self) -> Candidate:
        return self._absent(list(ABSENT_SECTIONS), "page_locate", "heading",
                            "the document prints every section name asked about")
