"""Where the book explains each topic: the references every feedback message ends with.

A message names a chapter and a section in words ("Chapter 5, Misconception 1") and the
chapter's source file, so it reads well in a notebook, in a feedback HTML page and in
``report.json`` alike. The chapter files live in ``book/chapters/``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    chapter: int
    title: str  # the section's name in words, as the book's heading says it
    file: str  # the chapter's source, relative to the repository root

    def __str__(self) -> str:
        return f"Chapter {self.chapter}, {self.title} ({self.file})"


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
MISCONCEPTION_1 = _ch5("Misconception 1: the residual connection comes after the LayerNorm")
MISCONCEPTION_2 = _ch5("Misconception 2: Pre-LN and Post-LN confused")
MISCONCEPTION_3 = _ch5("Misconception 3: the LayerNorm on the residual stream")
DETACHED_PATHS = _ch5("Bugs the forward pass cannot see")


def exercise(assignment: str) -> str:
    """The rendered exercise page of an assignment, e.g. ``book/exercises/03_blocks.md``."""
    return f"book/exercises/{assignment}.md"
