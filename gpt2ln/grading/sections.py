"""Where the book explains each topic: the references every feedback message ends with.

A message names a chapter and a section in words, then the address of that section in the
built book: "Chapter 5, Misconception 1: ... (book/_build/html/chapters/05_misconceptions.html#misconception-1-...)".
The address comes from ``gpt2ln.links.book_page`` (the published book when ``BOOK_URL`` is
set, else the built book relative to the repository), and its anchor is the id Sphinx gives
the heading: docutils' ``make_id`` of the heading's text,

    lower case -> ASCII -> every run of other characters than [a-z0-9] becomes one "-"
    -> leading digits and hyphens, and trailing hyphens, dropped.

The chapter sources live in ``book/chapters/``. ``ALL`` lists every section, so that the
feedback page can turn each reference back into a link (``find``).
"""

import re
import unicodedata
from dataclasses import dataclass

from gpt2ln.links import book_page


@dataclass(frozen=True)
class Section:
    chapter: int
    title: str  # the section's name in words, as the book's heading says it
    file: str  # the chapter's source, relative to the repository root

    @property
    def name(self) -> str:
        """How a message names it: "Chapter 5, Misconception 1: the residual connection ..."."""
        return f"Chapter {self.chapter}, {self.title}"

    @property
    def anchor(self) -> str:
        return heading_id(self.title)

    @property
    def url(self) -> str:
        page = self.file.removeprefix("book/").removesuffix(".md")
        return book_page(page, self.anchor)

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


def heading_id(title: str) -> str:
    """The HTML id Sphinx (docutils ``nodes.make_id``) gives a heading with this text."""
    ascii_text = unicodedata.normalize("NFKD", title.lower()).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"^[-0-9]+|-+$", "", re.sub(r"[^a-z0-9]+", "-", ascii_text))


def _chapter(number: int, stem: str):
    return lambda title: Section(number, title, f"book/chapters/{stem}.md")


_ch2 = _chapter(2, "02_layernorm")
_ch3 = _chapter(3, "03_post_ln")
_ch4 = _chapter(4, "04_pre_ln")
_ch5 = _chapter(5, "05_misconceptions")
_ch6 = _chapter(6, "06_gradients")
_ch7 = _chapter(7, "07_warmup")

LAYERNORM_STATISTICS = _ch2("LayerNorm: statistics over the last dimension")
BIASED_VARIANCE = _ch2("LayerNorm: the biased variance")
EPS_INSIDE_SQRT = _ch2("LayerNorm: eps inside the square root")
LAYERNORM_AFFINE = _ch2("LayerNorm: the gain and the bias")
GELU_TANH = _ch2("GELU: the tanh approximation")
MLP = _ch2("The MLP sub-layer")
ATTENTION = _ch3("Causal self-attention")
ATTENTION_MASK = _ch3("Causal self-attention: the mask")
ATTENTION_SCALE = _ch3("Causal self-attention: the 1/sqrt(d) scale")
ATTENTION_HEADS = _ch3("Causal self-attention: splitting and merging heads")
POST_LN_BLOCK = _ch3("The Post-LN block")
PRE_LN_BLOCK = _ch4("The Pre-LN block")
RESIDUAL_STREAM = _ch4("The residual stream")
GPT2_MODEL = _ch4("The whole GPT-2")
HF_WEIGHTS = _ch4("Loading the released weights")
GRADIENT_FLOW = _ch6("Gradient norms at initialisation")
WARMUP = _ch7("The warmup schedule")
MISCONCEPTIONS = _ch5("The three misconceptions")
MISCONCEPTION_1 = _ch5("Misconception 1: the residual connection comes after the LayerNorm")
MISCONCEPTION_2 = _ch5("Misconception 2: Pre-LN and Post-LN confused")
MISCONCEPTION_3 = _ch5("Misconception 3: the LayerNorm on the residual stream")
DETACHED_PATHS = _ch5("Bugs the forward pass cannot see")
IDENTITY_PATH = _ch4("The identity path, checked")
JACOBIAN_IDENTITY = _ch6("The identity path of the Pre-LN block's Jacobian")
DIAGNOSE = _ch5("How the autograder recognises a misconception")


ALL = [value for value in list(globals().values()) if isinstance(value, Section)]


def find(text: str) -> list[tuple[int, int, Section]]:
    """Every reference to a section in ``text``: (start, end, section), the address included in the span."""
    names = sorted(ALL, key=lambda section: -len(section.name))  # the longest first: "Causal self-attention: the mask"
    pattern = "|".join(f"({re.escape(section.name)})" for section in names)
    return [(m.start(), m.end(), names[m.lastindex - 1])
            for m in re.finditer(rf"(?:{pattern})(?: \([^\s()]+\))?", text)]


def exercise(assignment: str) -> str:
    """The rendered exercise page of an assignment, e.g. ``book/exercises/03_blocks.md``."""
    return f"book/exercises/{assignment}.md"
