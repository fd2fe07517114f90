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

In Chinese (``GPT2LN_LANG=zh``, see :mod:`.i18n`) a reference is "第 5 章，误区一：残差连接在层归一化之后
(BOOK_URL/zh_CN/chapters/05_misconceptions.html#misconception-1-...)": the heading as the Chinese
edition translates it (``HEADINGS_ZH``, a copy of ``book/locales/zh_CN/terms.toml``'s [headings],
since the package is installed without the book), the page of the Chinese edition, the same anchor.
"""

import re
import unicodedata
from dataclasses import dataclass, field, replace

from gpt2ln.links import book_page

from .i18n import LANGUAGES, language

# The Chinese edition's headings (book/locales/zh_CN/terms.toml [headings]; tests/test_grading_i18n.py checks the copy)
HEADINGS_ZH = {
    "LayerNorm: statistics over the last dimension": "层归一化：在最后一维上求统计量",
    "LayerNorm: the biased variance": "层归一化：有偏方差",
    "LayerNorm: eps inside the square root": "层归一化：eps 在平方根之内",
    "LayerNorm: the gain and the bias": "层归一化：增益与偏置",
    "GELU: the tanh approximation": "GELU：tanh 近似",
    "The MLP sub-layer": "MLP 子层",
    "Causal self-attention": "因果自注意力",
    "Causal self-attention: the mask": "因果自注意力：掩码",
    "Causal self-attention: the 1/sqrt(d) scale": "因果自注意力：1/sqrt(d) 缩放",
    "Causal self-attention: splitting and merging heads": "因果自注意力：拆分与合并注意力头",
    "The Post-LN block": "后置层归一化块",
    "The Pre-LN block": "前置层归一化块",
    "The residual stream": "残差流",
    "The whole GPT-2": "完整的 GPT-2",
    "Loading the released weights": "加载公开发布的权重",
    "Gradient norms at initialisation": "初始化时的梯度范数",
    "The warmup schedule": "预热调度",
    "The three misconceptions": "三个误区",
    "Misconception 1: the residual connection comes after the LayerNorm": "误区一：残差连接在层归一化之后",
    "Misconception 2: Pre-LN and Post-LN confused": "误区二：混淆前置与后置层归一化",
    "Misconception 3: the LayerNorm on the residual stream": "误区三：把层归一化放在残差流上",
    "Bugs the forward pass cannot see": "前向传播看不见的错误",
    "The identity path, checked": "检验恒等路径",
    "The identity path of the Pre-LN block's Jacobian": "前置层归一化块雅可比矩阵中的恒等路径",
    "How the autograder recognises a misconception": "自动评分器如何识别误区",
}


@dataclass(frozen=True)
class Section:
    chapter: int
    title: str  # the section's name in words, as the book's heading says it
    file: str  # the chapter's source, relative to the repository root
    language: str | None = field(default=None, compare=False)  # None: the language messages are made in

    def name_in(self, lang: str) -> str:
        """How a message names it: "Chapter 5, Misconception 1: the residual ...", "第 5 章，误区一：..."."""
        if lang == "zh_CN":
            return f"第 {self.chapter} 章，{HEADINGS_ZH[self.title]}"
        return f"Chapter {self.chapter}, {self.title}"

    def url_in(self, lang: str) -> str:
        page = self.file.removeprefix("book/").removesuffix(".md")
        return book_page(page, self.anchor, language=lang)

    @property
    def name(self) -> str:
        """How a message names it, in the current language."""
        return self.name_in(self.language or language())

    @property
    def anchor(self) -> str:
        return heading_id(self.title)  # the Chinese edition keeps the English headings' ids

    @property
    def url(self) -> str:
        return self.url_in(self.language or language())

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
    """Every reference to a section in ``text``, in any language: (start, end, section), the address included in
    the span; the section found is in the language of its reference (its ``name`` and ``url``)."""
    named = sorted(((section.name_in(lang), replace(section, language=lang)) for section in ALL for lang in LANGUAGES),
                   key=lambda pair: -len(pair[0]))  # the longest first: "Causal self-attention: the mask"
    pattern = "|".join(f"({re.escape(name)})" for name, _ in named)
    return [(m.start(), m.end(), named[m.lastindex - 1][1])
            for m in re.finditer(rf"(?:{pattern})(?: \([^\s()]+\))?", text)]


def exercise(assignment: str) -> str:
    """The rendered exercise page of an assignment, e.g. ``book/exercises/03_blocks.md``."""
    return f"book/exercises/{assignment}.md"
