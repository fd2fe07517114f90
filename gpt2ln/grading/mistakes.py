"""The library of known-wrong implementations the autograder recognises.

Each ``Mistake`` is a small module (or function) with the same parameter names as the
reference, so the same weights can be copied into it; ``diagnose`` runs a failing
submission's inputs through every candidate and reports the one whose outputs *and*
gradients match. The book imports this module too, to show each misconception in numbers::

    from gpt2ln import GPTConfig
    from gpt2ln.grading.mistakes import MISTAKES
    wrong = MISTAKES["residual_after_ln"]
    block = wrong.build(GPTConfig(n_embd=64, n_head=4))   # a PreLNBlock that makes Misconception 1
    print(wrong.title, "--", wrong.explanation, "--", wrong.section)

Components (the ``component`` field): ``layernorm``, ``gelu``, ``mlp``, ``attention``,
``pre_ln_block``, ``post_ln_block``, ``gpt2``. ``mistakes_for(component)`` lists the named
ones; the block diagnosis also tries every mix of the half-block mistakes (one in the
attention half, another in the MLP half).
"""

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import GPT2, MLP, CausalSelfAttention, LayerNorm, PostLNBlock, PreLNBlock, gelu
from . import sections as S
from .sections import Section


@dataclass(frozen=True)
class Mistake:
    key: str  # short identifier, e.g. "unbiased_variance"
    component: str  # which answer it is a wrong version of
    title: str  # one line, says what the code does
    explanation: str  # why it is wrong, in words a student can act on
    section: Section  # where the book explains it
    build: Callable  # same arguments as the reference class (or the function itself, for gelu)
    misconception: int | None = None  # 1, 2 or 3: the contract's misconceptions
    layout: tuple | None = None  # blocks only: (attn_half, mlp_half, norms, mlp_first), see _BlockVariant

    def message(self) -> str:
        """The feedback paragraph: the misconception's name first when there is one."""
        head = f"Misconception {self.misconception}: " if self.misconception else ""
        return f"{head}{self.title}. {self.explanation} See {self.section}."


MISTAKES: dict[str, Mistake] = {}


def _register(*mistakes: Mistake) -> None:
    for m in mistakes:
        MISTAKES[m.key] = m


def mistakes_for(component: str) -> list[Mistake]:
    return [m for m in MISTAKES.values() if m.component == component]


# --------------------------------------------------------------------------- LayerNorm


class _LayerNormVariant(LayerNorm):
    """The reference LayerNorm with one step of ``forward`` done wrong (``kind``)."""

    def __init__(self, n_embd: int, eps: float = 1e-5, kind: str = ""):
        super().__init__(n_embd, eps=1e-5 if kind == "eps_ignored" else eps)
        self.kind = kind

    def forward(self, x):
        kind = self.kind
        if kind == "all_dims":
            dims = tuple(range(x.dim()))
        elif kind == "first_dim":
            dims = (0,)
        else:
            dims = (-1,)
        mean = x.mean(dim=dims, keepdim=True)
        var = (x - mean).pow(2).mean(dim=dims, keepdim=True)
        if kind == "unbiased_variance":
            var = x.var(dim=-1, keepdim=True, unbiased=True)
        if kind in ("statistics_detached", "mean_detached"):
            mean = mean.detach()
        if kind in ("statistics_detached", "variance_detached"):
            var = var.detach()
        if kind == "eps_outside_sqrt":
            x_hat = (x - mean) / (var.sqrt() + self.eps)
        elif kind == "no_eps":
            x_hat = (x - mean) / var.sqrt()
        elif kind == "std_not_sqrt":
            x_hat = (x - mean) / (var + self.eps)
        else:
            x_hat = (x - mean) / torch.sqrt(var + self.eps)
        if kind == "no_affine":
            return x_hat
        if kind == "weight_bias_swapped":
            return x_hat * self.bias + self.weight
        if kind == "bias_before_weight":
            return (x_hat + self.bias) * self.weight
        y = x_hat * self.weight + self.bias
        return y.detach() if kind == "no_grad" else y


def _layernorm(key, title, explanation, section, misconception=None):
    return Mistake(key, "layernorm", title, explanation, section,
                   lambda n_embd, eps=1e-5, kind=key: _LayerNormVariant(n_embd, eps, kind=kind), misconception)


_register(
    _layernorm("unbiased_variance", "Your LayerNorm uses the unbiased variance (divides by n - 1)",
               "LayerNorm divides the summed squares by n, the number of features (`unbiased=False`); "
               "with n - 1 every output is scaled by sqrt((n-1)/n), which matters for small n_embd.",
               S.BIASED_VARIANCE),
    _layernorm("eps_outside_sqrt", "Your LayerNorm adds eps outside the square root",
               "The denominator is sqrt(var + eps), not sqrt(var) + eps. The two differ most on rows whose "
               "variance is close to eps: exactly the rows eps is there to protect.", S.EPS_INSIDE_SQRT),
    _layernorm("no_eps", "Your LayerNorm has no eps in the denominator",
               "Without eps a row of (nearly) constant values is divided by (nearly) zero. "
               "Use sqrt(var + eps).", S.EPS_INSIDE_SQRT),
    _layernorm("std_not_sqrt", "Your LayerNorm divides by the variance instead of the standard deviation",
               "Normalise by sqrt(var + eps): dividing by var + eps does not give unit variance.",
               S.LAYERNORM_STATISTICS),
    _layernorm("eps_ignored", "Your LayerNorm ignores the eps it is given",
               "Use the `eps` argument of the constructor (GPT-2 configs pass `layer_norm_epsilon`), "
               "not a hard-coded 1e-5.", S.EPS_INSIDE_SQRT),
    _layernorm("all_dims", "Your LayerNorm takes its mean and variance over the whole tensor",
               "LayerNorm normalises each token's vector on its own: reduce over the last dimension only "
               "(`dim=-1, keepdim=True`).", S.LAYERNORM_STATISTICS),
    _layernorm("first_dim", "Your LayerNorm takes its statistics over the batch dimension",
               "That is BatchNorm's axis. LayerNorm reduces over the last dimension (`dim=-1`).",
               S.LAYERNORM_STATISTICS),
    _layernorm("no_affine", "Your LayerNorm forgets the gain and the bias",
               "After normalising, multiply by `weight` and add `bias`: they let the model undo the "
               "normalisation where it needs to.", S.LAYERNORM_AFFINE),
    _layernorm("weight_bias_swapped", "Your LayerNorm swaps the gain and the bias",
               "Multiply by `weight` (initialised to ones) and add `bias` (initialised to zeros).",
               S.LAYERNORM_AFFINE),
    _layernorm("bias_before_weight", "Your LayerNorm adds the bias before multiplying by the gain",
               "The affine step is x_hat * weight + bias.", S.LAYERNORM_AFFINE),
    _layernorm("statistics_detached", "Your LayerNorm's mean and variance are detached from the graph",
               "The forward pass is right, but no gradient flows through the statistics (computed under "
               "torch.no_grad() or with .detach()), so the input's gradient is wrong.", S.DETACHED_PATHS),
    _layernorm("mean_detached", "Your LayerNorm's mean is detached from the graph",
               "The forward pass is right, but no gradient flows through the mean (torch.no_grad() or "
               ".detach()), so the input's gradient is wrong.", S.DETACHED_PATHS),
    _layernorm("variance_detached", "Your LayerNorm's variance is detached from the graph",
               "The forward pass is right, but no gradient flows through the variance (torch.no_grad() or "
               ".detach()), so the input's gradient is wrong.", S.DETACHED_PATHS),
    _layernorm("no_grad", "Your LayerNorm runs under torch.no_grad() (or detaches its output)",
               "Its forward pass is right but nothing upstream, its own gain and bias included, gets a "
               "gradient: the network could not learn.", S.DETACHED_PATHS),
)


# --------------------------------------------------------------------------- GELU

_GELU_VARIANTS = {
    "exact_gelu": lambda x: F.gelu(x),  # x * Phi(x), with erf
    "sigmoid_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "relu": lambda x: torch.relu(x),
    "gelu_no_half": lambda x: x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3)))),
    "gelu_wrong_constant": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0) / math.pi * (x + 0.044715 * x**3))),
    "gelu_no_cubic": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * x)),
}


def _gelu(key, title, explanation):
    return Mistake(key, "gelu", title, explanation, S.GELU_TANH, lambda: _GELU_VARIANTS[key])


_register(
    _gelu("exact_gelu", "You used the exact GELU (with erf) instead of the tanh approximation",
          "GPT-2 was trained with 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The exact x * Phi(x) differs "
          "by up to ~1e-3, enough that pretrained logits no longer match (`F.gelu(x, approximate='tanh')` is "
          "the right one)."),
    _gelu("sigmoid_gelu", "You used the sigmoid approximation x * sigmoid(1.702 x)",
          "GPT-2 uses the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."),
    _gelu("relu", "You used ReLU", "GPT-2's MLP uses the tanh approximation of GELU."),
    _gelu("gelu_no_half", "Your GELU is missing the factor 0.5",
          "0.5 x (1 + tanh(...)): without the 0.5 the output is twice too large."),
    _gelu("gelu_wrong_constant", "Your GELU has the wrong constant inside tanh",
          "The constant is sqrt(2 / pi) (about 0.798), not sqrt(2) / pi."),
    _gelu("gelu_no_cubic", "Your GELU is missing the cubic term",
          "The argument of tanh is sqrt(2/pi) (x + 0.044715 x^3)."),
)


# --------------------------------------------------------------------------- MLP


class _MLPVariant(MLP):
    def __init__(self, cfg, kind: str = ""):
        super().__init__(cfg)
        self.kind = kind

    def forward(self, x):
        h = self.c_fc(x)  # (B, T, 4C)
        if self.kind == "exact_gelu":
            h = F.gelu(h)
        elif self.kind == "relu":
            h = torch.relu(h)
        elif self.kind != "no_activation" and self.kind != "activation_after_proj":
            h = gelu(h)
        y = self.c_proj(h)
        if self.kind == "activation_after_proj":
            y = gelu(y)
        if self.kind == "residual_inside_mlp":
            y = x + y
        return self.dropout(y)


def _mlp(key, kind, title, explanation, section=S.MLP):
    return Mistake(key, "mlp", title, explanation, section, lambda cfg: _MLPVariant(cfg, kind))


_register(
    _mlp("mlp_exact_gelu", "exact_gelu", "Your MLP uses the exact GELU",
         "Use the tanh approximation (the `gelu` above).", S.GELU_TANH),
    _mlp("mlp_relu", "relu", "Your MLP uses ReLU", "GPT-2's MLP uses GELU (the tanh approximation).", S.GELU_TANH),
    _mlp("mlp_no_activation", "no_activation", "Your MLP has no activation between c_fc and c_proj",
         "Without the non-linearity the two layers collapse into one linear map: apply `gelu` to c_fc's output."),
    _mlp("mlp_activation_after_proj", "activation_after_proj",
         "Your MLP applies GELU after c_proj instead of between c_fc and c_proj",
         "The order is c_proj(gelu(c_fc(x))): the activation acts on the 4 n_embd wide hidden layer."),
    _mlp("mlp_residual_inside", "residual_inside_mlp", "Your MLP adds its input to its output",
         "The residual connection belongs to the block, not to the MLP: return c_proj(gelu(c_fc(x))) only.",
         S.RESIDUAL_STREAM),
)


# --------------------------------------------------------------------------- attention


@dataclass(frozen=True)
class AttentionKnobs:
    """One way of writing causal self-attention; the defaults are the right way."""

    mask: str = "causal"  # "causal", "none", "excludes_self", "one_future", "future_only"
    fill: float = float("-inf")  # the value masked scores get
    scale: str = "sqrt_head_dim"  # "sqrt_head_dim", "head_dim", "sqrt_n_embd", "none"
    softmax_dim: int = -1
    split: str = "transpose"  # "transpose", "no_transpose" (split and merge), "merge_no_transpose"
    order: str = "qkv"  # the order q, k, v are read from c_attn's output
    project: bool = True  # apply c_proj at the end


class _AttentionVariant(CausalSelfAttention):
    def __init__(self, cfg, knobs: AttentionKnobs = AttentionKnobs()):
        super().__init__(cfg)
        self.knobs = knobs

    def forward(self, x, cache=None):
        kn, (B, T, C), nh = self.knobs, x.shape, self.n_head
        parts = dict(zip(kn.order, self.c_attn(x).split(C, dim=2), strict=True))  # 3 x (B, T, C)
        q, k, v = parts["q"], parts["k"], parts["v"]
        if kn.split == "no_transpose":
            q, k, v = (t.reshape(B, nh, T, C // nh) for t in (q, k, v))  # wrong: mixes positions and heads
        else:
            q, k, v = (t.view(B, T, nh, C // nh).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hd)
        scale = {"sqrt_head_dim": math.sqrt(C // nh), "head_dim": C // nh, "sqrt_n_embd": math.sqrt(C),
                 "none": 1.0}[kn.scale]
        scores = q @ k.transpose(-2, -1) / scale  # (B, nh, T, T)
        ones = torch.ones(T, T, dtype=torch.bool, device=x.device)
        allowed = {"causal": ones.tril(), "none": ones, "excludes_self": ones.tril(-1), "one_future": ones.tril(1),
                   "future_only": ones.triu()}[kn.mask]
        scores = scores.masked_fill(~allowed, kn.fill)
        y = F.softmax(scores, dim=kn.softmax_dim) @ v  # (B, nh, T, hd)
        if kn.split == "transpose":
            y = y.transpose(1, 2)
        y = y.reshape(B, T, C)
        return self.c_proj(y) if kn.project else y


_ATTENTION = {
    "mask_missing": (dict(mask="none"), "Your attention is not causal: every position sees the future",
                     "Mask the scores above the diagonal (key j > query i) before the softmax, so that position "
                     "i only attends to positions 0..i.", S.ATTENTION_MASK),
    "mask_excludes_self": (dict(mask="excludes_self"), "Your causal mask is off by one: a position cannot see "
                           "itself", "Query i must attend to keys 0..i inclusive: keep the diagonal "
                           "(`torch.tril(ones)`, not `tril(ones, -1)`). The first position then has nothing to "
                           "attend to.", S.ATTENTION_MASK),
    "mask_excludes_self_finite": (dict(mask="excludes_self", fill=-1e9), "Your causal mask is off by one: a "
                                  "position cannot see itself", "Query i must attend to keys 0..i inclusive: keep "
                                  "the diagonal (`torch.tril(ones)`, not `tril(ones, -1)`).", S.ATTENTION_MASK),
    "mask_one_future": (dict(mask="one_future"), "Your causal mask is off by one: each position sees the next "
                        "token", "Query i must attend to keys 0..i only: `torch.tril(ones)`, not "
                        "`tril(ones, 1)` (a language model that sees the next token learns nothing).",
                        S.ATTENTION_MASK),
    "mask_reversed": (dict(mask="future_only"), "Your mask keeps the future and hides the past",
                      "Use the lower triangle (`torch.tril`): query i attends to keys j <= i.", S.ATTENTION_MASK),
    "scale_head_dim": (dict(scale="head_dim"), "You scale the scores by 1/head_dim",
                       "The scale is 1/sqrt(head_dim), head_dim = n_embd // n_head.", S.ATTENTION_SCALE),
    "scale_n_embd": (dict(scale="sqrt_n_embd"), "You scale the scores by 1/sqrt(n_embd)",
                     "Each head computes its own dot products of length head_dim = n_embd // n_head: scale by "
                     "1/sqrt(head_dim).", S.ATTENTION_SCALE),
    "scale_missing": (dict(scale="none"), "Your attention scores are not scaled",
                      "Divide q k^T by sqrt(head_dim) before the softmax, or the softmax saturates as head_dim "
                      "grows.", S.ATTENTION_SCALE),
    "softmax_wrong_axis": (dict(softmax_dim=-2), "Your softmax runs over the queries instead of the keys",
                           "Each query's weights over the keys must sum to 1: softmax over the last dimension "
                           "(`dim=-1`) of the (B, n_head, T, T) scores.", S.ATTENTION),
    "heads_no_transpose": (dict(split="no_transpose"), "You split the heads without the transpose",
                           "(B, T, C) -> view(B, T, n_head, head_dim) -> transpose(1, 2) gives (B, n_head, T, "
                           "head_dim). A direct view/reshape to (B, n_head, T, head_dim) mixes positions and "
                           "features.", S.ATTENTION_HEADS),
    "heads_merge_no_transpose": (dict(split="merge_no_transpose"), "You merge the heads without transposing back",
                                 "From (B, n_head, T, head_dim), transpose(1, 2) to (B, T, n_head, head_dim) "
                                 "before reshaping to (B, T, C).", S.ATTENTION_HEADS),
    "qkv_order": (dict(order="kqv"), "You read q and k from c_attn in the wrong order",
                  "c_attn's output is q, k, v in that order (the order of GPT-2's checkpoint): "
                  "`q, k, v = self.c_attn(x).split(n_embd, dim=2)`.", S.ATTENTION),
    "qkv_order_v": (dict(order="vkq"), "You read q, k and v from c_attn in the wrong order",
                    "c_attn's output is q, k, v in that order: `q, k, v = self.c_attn(x).split(n_embd, dim=2)`.",
                    S.ATTENTION),
    "no_output_projection": (dict(project=False), "Your attention forgets the output projection c_proj",
                             "After merging the heads, apply `self.c_proj`.", S.ATTENTION),
}


def _attention(key, knobs, title, explanation, section):
    return Mistake(key, "attention", title, explanation, section,
                   lambda cfg, kn=AttentionKnobs(**knobs): _AttentionVariant(cfg, kn))


_register(*(_attention(key, *spec) for key, spec in _ATTENTION.items()))


def attention_candidates() -> Iterator[Mistake]:
    """Every single attention mistake, then every pair of them (a mask bug *and* a scale bug...)."""
    single = mistakes_for("attention")
    yield from single
    for a, b in itertools.combinations(_ATTENTION.items(), 2):
        knobs_a, knobs_b = a[1][0], b[1][0]
        if set(knobs_a) & set(knobs_b):
            continue
        knobs = AttentionKnobs(**knobs_a, **knobs_b)
        yield Mistake(f"{a[0]}+{b[0]}", "attention", f"{a[1][1]}; and {b[1][1][0].lower()}{b[1][1][1:]}",
                      f"{a[1][2]} {b[1][2]}", a[1][3], lambda cfg, kn=knobs: _AttentionVariant(cfg, kn))


# --------------------------------------------------------------------------- blocks
# A block is two "halves" (attention, then MLP), each a way of combining the stream x, a
# LayerNorm and a sub-layer f. The right half for Pre-LN is "pre", for Post-LN "post".

HALVES: dict[str, Callable] = {
    "pre": lambda x, ln, f: x + f(ln(x)),
    "post": lambda x, ln, f: ln(x + f(x)),
    "residual_after_ln": lambda x, ln, f: ln(x) + f(ln(x)),
    "ln_on_shortcut": lambda x, ln, f: ln(x) + f(x),
    "normalised_stream": lambda x, ln, f: ln(x + f(ln(x))),
    "ln_after_sublayer": lambda x, ln, f: x + ln(f(x)),
    "no_residual": lambda x, ln, f: f(ln(x)),
    "no_layernorm": lambda x, ln, f: x + f(x),
    "detached_shortcut": lambda x, ln, f: x.detach() + f(ln(x)),
    "layernorm_no_grad": lambda x, ln, f: x + f(ln(x).detach()),
    "branch_no_grad": lambda x, ln, f: x + f(ln(x)).detach(),
    "post_no_residual": lambda x, ln, f: ln(f(x)),
    "post_detached_shortcut": lambda x, ln, f: ln(x.detach() + f(x)),
}

# key -> (title, explanation, section, misconception) for a half done this way, per target block
_HALF_TEXT = {
    "post": ("it normalises after the residual add, ln(x + f(x)), which is the Post-LN layout",
             "Pre-LN (GPT-2) normalises a copy of the stream going *into* the sub-layer and adds the result back "
             "to the un-normalised x: x = x + f(ln(x)).", S.MISCONCEPTION_2, 2),
    "pre": ("it adds f(ln(x)) to x, which is the Pre-LN layout",
            "Post-LN (the 2017 Transformer) adds first and normalises the sum: x = ln(x + f(x)).",
            S.MISCONCEPTION_2, 2),
    "residual_after_ln": ("the residual connection comes after the LayerNorm: h = ln(x); x = h + f(h)",
                          "The shortcut must start from the sub-layer's input x, before the LayerNorm: "
                          "x = x + f(ln(x)). Starting it from ln(x) normalises the residual stream at every "
                          "block.", S.MISCONCEPTION_1, 1),
    "ln_on_shortcut": ("the LayerNorm sits on the shortcut, ln(x) + f(x), instead of in the branch",
                       "The LayerNorm belongs inside the residual branch, in front of the sub-layer: "
                       "x = x + f(ln(x)); the stream itself is never normalised.", S.MISCONCEPTION_3, 3),
    "normalised_stream": ("the residual stream is normalised after the add: ln(x + f(ln(x)))",
                          "The LayerNorm belongs only inside the branch, x = x + f(ln(x)); normalising the stream "
                          "itself removes the identity path.", S.MISCONCEPTION_3, 3),
    "ln_after_sublayer": ("the LayerNorm comes after the sub-layer: x + ln(f(x))",
                          "Normalise the sub-layer's input: x = x + f(ln(x)).", S.PRE_LN_BLOCK, None),
    "no_residual": ("there is no residual connection: x = f(ln(x))",
                    "Add the sub-layer's output back to its input: x = x + f(ln(x)).", S.RESIDUAL_STREAM, None),
    "no_layernorm": ("the LayerNorm is missing: x = x + f(x)",
                     "Each sub-layer has its own LayerNorm (ln_1 before attention, ln_2 before the MLP).",
                     S.PRE_LN_BLOCK, None),
    "detached_shortcut": ("the shortcut is detached from the graph (x.detach() or torch.no_grad())",
                          "The forward pass is right, but the gradient cannot flow back through the identity "
                          "path: exactly the path that makes Pre-LN trainable.", S.DETACHED_PATHS, None),
    "layernorm_no_grad": ("the LayerNorm runs under torch.no_grad() (or is detached)",
                          "The forward pass is right, but no gradient reaches the LayerNorm's gain and bias or "
                          "flows through the branch to x.", S.DETACHED_PATHS, None),
    "branch_no_grad": ("the sub-layer's branch runs under torch.no_grad() (or is detached)",
                       "The forward pass is right, but the sub-layer's weights get no gradient.", S.DETACHED_PATHS,
                       None),
    "post_no_residual": ("there is no residual connection: x = ln(f(x))",
                         "Post-LN adds the sub-layer's output to its input before normalising: x = ln(x + f(x)).",
                         S.POST_LN_BLOCK, None),
    "post_detached_shortcut": ("the shortcut is detached from the graph: ln(x.detach() + f(x))",
                               "The forward pass is right, but no gradient flows back through the shortcut.",
                               S.DETACHED_PATHS, None),
}


class BlockVariant(PreLNBlock):
    """A block whose attention half and MLP half are each combined in a given way.

    ``norms`` says which LayerNorm each half uses ("12" right, "11" ln_1 shared, "21" swapped);
    ``mlp_first`` runs the MLP half before the attention half.
    """

    def __init__(self, cfg, attn_half="pre", mlp_half="pre", norms="12", mlp_first=False):
        super().__init__(cfg)
        self.set_layout(attn_half, mlp_half, norms, mlp_first)

    def set_layout(self, attn_half, mlp_half, norms="12", mlp_first=False) -> "BlockVariant":
        """Switch to another layout in place (the diagnosis tries a thousand on the same weights)."""
        self.halves, self.norms, self.mlp_first = (attn_half, mlp_half), norms, mlp_first
        return self

    def forward(self, x, cache=None):
        ln = {"1": self.ln_1, "2": self.ln_2}
        steps = [(HALVES[self.halves[0]], ln[self.norms[0]], self.attn),
                 (HALVES[self.halves[1]], ln[self.norms[1]], self.mlp)]
        for half, norm, sublayer in (reversed(steps) if self.mlp_first else steps):
            x = half(x, norm, sublayer)  # (B, T, C) -> (B, T, C)
        return x


def _block_mistake(target: str, attn_half: str, mlp_half: str, norms: str = "12", mlp_first: bool = False):
    """Describe a block variant in words, relative to the ``target`` layout ("pre" or "post")."""
    component = f"{target}_ln_block"
    parts, explanations, sections, misconceptions = [], [], [], []
    if attn_half == mlp_half and attn_half != target:
        title, explanation, section, mis = _HALF_TEXT[attn_half]
        parts.append(f"in both halves, {title}")
        explanations.append(explanation)
        sections.append(section)
        misconceptions.append(mis)
    else:
        for name, half in (("attention", attn_half), ("MLP", mlp_half)):
            if half != target:
                title, explanation, section, mis = _HALF_TEXT[half]
                parts.append(f"in the {name} half, {title}")
                explanations.append(explanation)
                sections.append(section)
                misconceptions.append(mis)
    if norms == "11":
        parts.append("both halves use ln_1 (ln_2 is never used)")
        explanations.append("Each sub-layer has its own LayerNorm: ln_1 before attention, ln_2 before the MLP.")
        sections.append(S.PRE_LN_BLOCK if target == "pre" else S.POST_LN_BLOCK)
    elif norms == "21":
        parts.append("ln_1 and ln_2 are swapped")
        explanations.append("ln_1 goes with attention, ln_2 with the MLP (the names the checkpoint uses).")
        sections.append(S.PRE_LN_BLOCK if target == "pre" else S.POST_LN_BLOCK)
    if mlp_first:
        parts.append("the MLP runs before the attention")
        explanations.append("A block first mixes information across positions (attention), then transforms each "
                            "position (MLP).")
        sections.append(S.PRE_LN_BLOCK if target == "pre" else S.POST_LN_BLOCK)
    misconception = next((m for m in misconceptions if m), None)
    title = "Your block: " + "; ".join(parts)
    key = f"{target}:{attn_half}/{mlp_half}/{norms}/{'mlp_first' if mlp_first else 'attn_first'}"
    block = lambda cfg: BlockVariant(cfg, attn_half, mlp_half, norms, mlp_first)  # noqa: E731
    return Mistake(key, component, title, " ".join(explanations), sections[0], block, misconception,
                   (attn_half, mlp_half, norms, mlp_first))


def _named_block(key, target, attn_half, mlp_half=None, norms="12", mlp_first=False):
    m = _block_mistake(target, attn_half, mlp_half or attn_half, norms, mlp_first)
    return Mistake(key, m.component, m.title, m.explanation, m.section, m.build, m.misconception, m.layout)


_register(
    _named_block("residual_after_ln", "pre", "residual_after_ln"),
    _named_block("post_ln_instead_of_pre_ln", "pre", "post"),
    _named_block("ln_on_shortcut", "pre", "ln_on_shortcut"),
    _named_block("normalised_stream", "pre", "normalised_stream"),
    _named_block("ln_after_sublayer", "pre", "ln_after_sublayer"),
    _named_block("no_residual", "pre", "no_residual"),
    _named_block("missing_layernorms", "pre", "no_layernorm"),
    _named_block("missing_ln_2", "pre", "pre", "no_layernorm"),
    _named_block("shared_ln_2", "pre", "pre", norms="11"),
    _named_block("swapped_layernorms", "pre", "pre", norms="21"),
    _named_block("mlp_before_attention", "pre", "pre", mlp_first=True),
    _named_block("detached_shortcut", "pre", "detached_shortcut"),
    _named_block("layernorm_no_grad", "pre", "layernorm_no_grad"),
    _named_block("branch_no_grad", "pre", "branch_no_grad"),
    _named_block("pre_ln_instead_of_post_ln", "post", "pre"),
    _named_block("post_missing_residual", "post", "post_no_residual"),
    _named_block("post_shared_ln_2", "post", "post", norms="11"),
    _named_block("post_mlp_before_attention", "post", "post", mlp_first=True),
    _named_block("post_detached_shortcut", "post", "post_detached_shortcut"),
)


def block_candidates(target: str) -> Iterator[Mistake]:
    """Every mix of half-block mistakes and LayerNorm / order slips, simplest first."""
    kinds = list(HALVES)
    variants = []
    for attn_half, mlp_half, norms, mlp_first in itertools.product(kinds, kinds, ("12", "11", "21"), (False, True)):
        if (attn_half, mlp_half, norms, mlp_first) == (target, target, "12", False):
            continue  # that is the right block
        slips = (attn_half != target) + (mlp_half != target) + (norms != "12") + mlp_first
        if attn_half == mlp_half != target:
            slips -= 1  # the same mistake made twice is one misunderstanding
        variants.append((slips, attn_half, mlp_half, norms, mlp_first))
    variants.sort(key=lambda v: v[0])
    for _, attn_half, mlp_half, norms, mlp_first in variants:
        yield _block_mistake(target, attn_half, mlp_half, norms, mlp_first)


# --------------------------------------------------------------------------- GPT2


class _GPT2Variant(GPT2):
    def __init__(self, cfg, norm="pre", kind=""):
        super().__init__(cfg, norm=norm if kind != "ignores_norm" else "pre")
        self.kind = kind
        if kind == "ignores_norm" and norm == "post":
            self.ln_f = nn.Identity()  # Post-LN's ln_f, with Pre-LN blocks

    def forward(self, idx, caches=None):
        B, T = idx.shape
        first = 1 if self.kind == "positions_from_one" else 0
        pos = torch.arange(first, first + T, device=idx.device)  # (T,)
        x = self.wte(idx)  # (B, T, C)
        if self.kind != "no_position_embedding":
            x = x + self.wpe(pos)
        x = self.drop(x)
        for block in self.h:
            x = block(x)
            if self.kind == "ln_f_every_block":
                x = self.ln_f(x)
        if self.kind not in ("no_ln_f", "ln_f_every_block"):
            x = self.ln_f(x)
        return self.lm_head(x)  # (B, T, vocab_size)


def _untied(cfg, norm="pre"):
    model = GPT2(cfg, norm=norm)
    model.lm_head.weight = nn.Parameter(model.wte.weight.detach().clone())
    return model


def _gpt2(key, title, explanation, build=None):
    build = build or (lambda cfg, norm="pre", kind=key: _GPT2Variant(cfg, norm, kind))
    return Mistake(key, "gpt2", title, explanation, S.GPT2_MODEL, build)


_register(
    _gpt2("no_position_embedding", "Your GPT2 does not add the position embedding",
          "x = wte(idx) + wpe(positions), positions = 0, 1, ..., T-1: without wpe the model cannot tell the order "
          "of the tokens."),
    _gpt2("positions_from_one", "Your positions start at 1",
          "The first token has position 0: `torch.arange(T)`."),
    _gpt2("no_ln_f", "Your GPT2 forgets the final LayerNorm ln_f",
          "GPT-2 normalises the stream once after the last block, before lm_head: in Pre-LN the stream is never "
          "normalised inside the stack."),
    _gpt2("ln_f_every_block", "Your GPT2 applies ln_f after every block",
          "ln_f runs once, after the last block; applying it inside the loop normalises the residual stream."),
    _gpt2("untied_lm_head", "Your lm_head is not tied to wte",
          "GPT-2 uses one matrix to read and write tokens: `self.lm_head.weight = self.wte.weight`. Untied, the "
          "forward pass can look right with copied weights but the gradients and the parameter count differ.",
          build=_untied),
    _gpt2("ignores_norm", "Your GPT2 builds Pre-LN blocks even when norm='post'",
          "Pick the block class from `norm`: PreLNBlock for 'pre', PostLNBlock for 'post' (and ln_f = nn.Identity() "
          "for 'post')."),
)


def candidates(component: str) -> Iterator[Mistake]:
    """What ``diagnose`` tries for a component, simplest explanation first."""
    if component == "attention":
        return attention_candidates()
    if component in ("pre_ln_block", "post_ln_block"):
        return block_candidates(component.split("_")[0])
    return iter(mistakes_for(component))


def reference_for(component: str):
    """The reference class or function a component is checked against."""
    return {"layernorm": LayerNorm, "gelu": gelu, "mlp": MLP, "attention": CausalSelfAttention,
            "pre_ln_block": PreLNBlock, "post_ln_block": PostLNBlock, "gpt2": GPT2}[component]
