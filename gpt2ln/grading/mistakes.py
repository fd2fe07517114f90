"""The library of known-wrong implementations the autograder recognises.

Every known mistake is written the same way: a *knobs* dataclass says how the code is
written (the defaults are the right way), a variant class computes exactly that, and an
``Explanation`` says in words what is wrong and where the book explains it. A ``Mistake``
pairs the two; it has the same parameter names as the reference, so the same weights can
be copied into it, and ``diagnose`` runs a failing submission's inputs through every
candidate and reports the one whose outputs *and* gradients match. The book imports this
module too, to show each misconception in numbers::

    from gpt2ln import GPTConfig
    from gpt2ln.grading.mistakes import MISTAKES
    wrong = MISTAKES["residual_after_ln"]
    block = wrong.build(GPTConfig(n_embd=64, n_head=4))   # a PreLNBlock that makes Misconception 1
    print(wrong.title, "--", wrong.explanation, "--", wrong.section)

Components (the ``component`` field): ``layernorm``, ``gelu``, ``mlp``, ``attention``,
``pre_ln_block``, ``post_ln_block``, ``gpt2``. ``mistakes_for(component)`` lists the named
ones; ``candidates(component)`` is what the diagnosis tries (for blocks every mix of the
half-block mistakes, one in the attention half, another in the MLP half; for attention
every pair of its mistakes).
"""

import functools
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import GPT2, MLP, CausalSelfAttention, LayerNorm, PostLNBlock, PreLNBlock, gelu
from . import sections as S
from .i18n import Joined, Text, _, lazy, lowered
from .sections import Section


@dataclass(frozen=True)
class Explanation:
    """What a wrong variant does and how to fix it, in words a student can act on."""

    title: Text  # one line, says what the code does
    explanation: Text  # why it is wrong and what to write instead
    section: Section  # where the book explains it
    misconception: int | None = None  # 1, 2 or 3: the contract's misconceptions

    def message(self) -> str:
        """The feedback paragraph, in the current language: the misconception's name first when there is one."""
        if self.misconception:
            return _("{misconception}: {title}. {explanation} See {section}.").format(
                misconception=MISCONCEPTION_NAMES[self.misconception], title=self.title,
                explanation=self.explanation, section=self.section)
        return _("{title}. {explanation} See {section}.").format(title=self.title, explanation=self.explanation,
                                                                 section=self.section)


MISCONCEPTION_NAMES = {1: lazy("Misconception 1"), 2: lazy("Misconception 2"), 3: lazy("Misconception 3")}


@dataclass(frozen=True)
class Mistake:
    """One known-wrong way of writing a component: its knobs and its explanation."""

    key: str  # short identifier, e.g. "unbiased_variance"
    component: str  # which answer it is a wrong version of
    knobs: object  # a LayerNormKnobs, GeluKnobs, MLPKnobs, AttentionKnobs, BlockKnobs or GPT2Knobs
    text: Explanation

    title = property(lambda self: str(self.text.title))  # in the current language
    explanation = property(lambda self: str(self.text.explanation))
    section = property(lambda self: self.text.section)
    misconception = property(lambda self: self.text.misconception)

    def message(self) -> str:
        return self.text.message()

    @property
    def build(self) -> Callable:
        """Same arguments as the reference class (no argument for gelu: it returns the function)."""
        if self.component == "gelu":
            return functools.partial(gelu_variant, self.knobs)
        return functools.partial(VARIANTS[self.component], knobs=self.knobs)


def _table(component: str, entries: dict[str, tuple[object, Explanation]]) -> dict[str, Mistake]:
    return {key: Mistake(key, component, knobs, text) for key, (knobs, text) in entries.items()}


# --------------------------------------------------------------------------- LayerNorm


@dataclass(frozen=True)
class LayerNormKnobs:
    """One way of writing LayerNorm; the defaults are the right way."""

    over: str = "last"  # the dimensions the statistics are taken over: "last", "all", "first"
    correction: int = 0  # 0: biased variance (divide by n); 1: unbiased (n - 1)
    denominator: str = "sqrt(var + eps)"  # or "sqrt(var) + eps", "sqrt(var)", "var + eps"
    uses_eps_argument: bool = True  # False: a hard-coded 1e-5
    detached: tuple = ()  # what is cut from the graph: "mean", "var", "output"
    affine: str = "x_hat * weight + bias"  # or "x_hat", "x_hat * bias + weight", "(x_hat + bias) * weight"


_DENOMINATORS = {
    "sqrt(var + eps)": lambda var, eps: torch.sqrt(var + eps),
    "sqrt(var) + eps": lambda var, eps: var.sqrt() + eps,
    "sqrt(var)": lambda var, eps: var.sqrt(),
    "var + eps": lambda var, eps: var + eps,
}
_AFFINE = {
    "x_hat * weight + bias": lambda x_hat, w, b: x_hat * w + b,
    "x_hat": lambda x_hat, w, b: x_hat,
    "x_hat * bias + weight": lambda x_hat, w, b: x_hat * b + w,
    "(x_hat + bias) * weight": lambda x_hat, w, b: (x_hat + b) * w,
}


class LayerNormVariant(LayerNorm):
    """The reference LayerNorm, written as ``knobs`` say."""

    def __init__(self, n_embd: int, eps: float = 1e-5, knobs: LayerNormKnobs = LayerNormKnobs()):
        super().__init__(n_embd, eps=eps if knobs.uses_eps_argument else 1e-5)
        self.knobs = knobs

    def forward(self, x):
        kn = self.knobs
        dims = {"last": (-1,), "all": tuple(range(x.dim())), "first": (0,)}[kn.over]
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, keepdim=True, correction=kn.correction)
        mean = mean.detach() if "mean" in kn.detached else mean
        var = var.detach() if "var" in kn.detached else var
        x_hat = (x - mean) / _DENOMINATORS[kn.denominator](var, self.eps)
        y = _AFFINE[kn.affine](x_hat, self.weight, self.bias)
        return y.detach() if "output" in kn.detached else y




def _detached(part: Text) -> Text:
    return lazy("The forward pass is right, but no gradient flows through the {part} (computed under torch.no_grad() "
                "or with .detach()), so the input's gradient is wrong.", part=part)


LAYERNORM = _table("layernorm", {
    "unbiased_variance": (LayerNormKnobs(correction=1), Explanation(
        lazy("Your LayerNorm uses the unbiased variance (divides by n - 1)"),
        lazy("LayerNorm divides the summed squares by n, the number of features (`unbiased=False`); with n - 1 every "
             "output is scaled by sqrt((n-1)/n), which matters for small n_embd."), S.BIASED_VARIANCE)),
    "eps_outside_sqrt": (LayerNormKnobs(denominator="sqrt(var) + eps"), Explanation(
        lazy("Your LayerNorm adds eps outside the square root"),
        lazy("The denominator is sqrt(var + eps), not sqrt(var) + eps. The two differ most on rows whose variance is "
             "close to eps: exactly the rows eps is there to protect."), S.EPS_INSIDE_SQRT)),
    "no_eps": (LayerNormKnobs(denominator="sqrt(var)"), Explanation(
        lazy("Your LayerNorm has no eps in the denominator"),
        lazy("Without eps a row of (nearly) constant values is divided by (nearly) zero. Use sqrt(var + eps)."),
        S.EPS_INSIDE_SQRT)),
    "std_not_sqrt": (LayerNormKnobs(denominator="var + eps"), Explanation(
        lazy("Your LayerNorm divides by the variance instead of the standard deviation"),
        lazy("Normalise by sqrt(var + eps): dividing by var + eps does not give unit variance."),
        S.LAYERNORM_STATISTICS)),
    "eps_ignored": (LayerNormKnobs(uses_eps_argument=False), Explanation(
        lazy("Your LayerNorm ignores the eps it is given"),
        lazy("Use the `eps` argument of the constructor (GPT-2 configs pass `layer_norm_epsilon`), not a hard-coded "
             "1e-5."), S.EPS_INSIDE_SQRT)),
    "all_dims": (LayerNormKnobs(over="all"), Explanation(
        lazy("Your LayerNorm takes its mean and variance over the whole tensor"),
        lazy("LayerNorm normalises each token's vector on its own: reduce over the last dimension only (`dim=-1, "
             "keepdim=True`)."), S.LAYERNORM_STATISTICS)),
    "first_dim": (LayerNormKnobs(over="first"), Explanation(
        lazy("Your LayerNorm takes its statistics over the batch dimension"),
        lazy("That is BatchNorm's axis. LayerNorm reduces over the last dimension (`dim=-1`)."),
        S.LAYERNORM_STATISTICS)),
    "no_affine": (LayerNormKnobs(affine="x_hat"), Explanation(
        lazy("Your LayerNorm forgets the gain and the bias"),
        lazy("After normalising, multiply by `weight` and add `bias`: they let the model undo the normalisation where "
             "it needs to."), S.LAYERNORM_AFFINE)),
    "weight_bias_swapped": (LayerNormKnobs(affine="x_hat * bias + weight"), Explanation(
        lazy("Your LayerNorm swaps the gain and the bias"),
        lazy("Multiply by `weight` (initialised to ones) and add `bias` (initialised to zeros)."), S.LAYERNORM_AFFINE)),
    "bias_before_weight": (LayerNormKnobs(affine="(x_hat + bias) * weight"), Explanation(
        lazy("Your LayerNorm adds the bias before multiplying by the gain"), lazy("The affine step is x_hat * weight "
                                                                                  "+ bias."),
        S.LAYERNORM_AFFINE)),
    "statistics_detached": (LayerNormKnobs(detached=("mean", "var")), Explanation(
        lazy("Your LayerNorm's mean and variance are detached from the graph"), _detached(lazy("statistics")),
        S.DETACHED_PATHS)),
    "mean_detached": (LayerNormKnobs(detached=("mean",)), Explanation(
        lazy("Your LayerNorm's mean is detached from the graph"), _detached(lazy("mean")), S.DETACHED_PATHS)),
    "variance_detached": (LayerNormKnobs(detached=("var",)), Explanation(
        lazy("Your LayerNorm's variance is detached from the graph"), _detached(lazy("variance")), S.DETACHED_PATHS)),
    "no_grad": (LayerNormKnobs(detached=("output",)), Explanation(
        lazy("Your LayerNorm runs under torch.no_grad() (or detaches its output)"),
        lazy("Its forward pass is right but nothing upstream, its own gain and bias included, gets a gradient: the "
             "network could not learn."), S.DETACHED_PATHS)),
})


# --------------------------------------------------------------------------- GELU


@dataclass(frozen=True)
class GeluKnobs:
    """One way of writing GELU; the defaults are GPT-2's tanh approximation."""

    form: str = "tanh"  # or "erf" (exact), "sigmoid" (x * sigmoid(1.702 x)), "relu"
    half: float = 0.5  # the factor in front
    constant: float = math.sqrt(2.0 / math.pi)  # inside tanh
    cubic: float = 0.044715  # the coefficient of x^3


def gelu_variant(knobs: GeluKnobs) -> Callable:
    """The GELU ``knobs`` describe, as a function of x."""
    forms = {
        "tanh": lambda x: knobs.half * x * (1.0 + torch.tanh(knobs.constant * (x + knobs.cubic * x.pow(3)))),
        "erf": lambda x: F.gelu(x),
        "sigmoid": lambda x: x * torch.sigmoid(1.702 * x),
        "relu": lambda x: torch.relu(x),
    }
    return forms[knobs.form]


GELU = _table("gelu", {
    "exact_gelu": (GeluKnobs(form="erf"), Explanation(
        lazy("You used the exact GELU (with erf) instead of the tanh approximation"),
        lazy("GPT-2 was trained with 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The exact x * Phi(x) differs by "
             "up to about 5e-4, enough that pretrained logits no longer match: write the tanh formula, or ask "
             "PyTorch's GELU for its tanh approximation."), S.GELU_TANH)),
    "sigmoid_gelu": (GeluKnobs(form="sigmoid"), Explanation(
        lazy("You used the sigmoid approximation x * sigmoid(1.702 x)"),
        lazy("GPT-2 uses the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."), S.GELU_TANH)),
    "relu": (GeluKnobs(form="relu"), Explanation(
        lazy("You used ReLU"), lazy("GPT-2's MLP uses the tanh approximation of GELU."), S.GELU_TANH)),
    "gelu_no_half": (GeluKnobs(half=1.0), Explanation(
        lazy("Your GELU is missing the factor 0.5"), lazy("0.5 x (1 + tanh(...)): without the 0.5 the output is twice "
                                                          "too large."), S.GELU_TANH)),
    "gelu_wrong_constant": (GeluKnobs(constant=math.sqrt(2.0) / math.pi), Explanation(
        lazy("Your GELU has the wrong constant inside tanh"),
        lazy("The constant is sqrt(2 / pi) (about 0.798), not sqrt(2) / pi."), S.GELU_TANH)),
    "gelu_no_cubic": (GeluKnobs(cubic=0.0), Explanation(
        lazy("Your GELU is missing the cubic term"), lazy("The argument of tanh is sqrt(2/pi) (x + 0.044715 x^3)."),
        S.GELU_TANH)),
})


# --------------------------------------------------------------------------- MLP


@dataclass(frozen=True)
class MLPKnobs:
    """One way of writing the MLP; the defaults are ``dropout(c_proj(gelu(c_fc(x))))``."""

    activation: GeluKnobs | None = GeluKnobs()  # None: no activation
    activation_after_proj: bool = False  # gelu(c_proj(c_fc(x)))
    residual: bool = False  # adds x to its output
    dropout: str = "output"  # where self.dropout acts: "output" (after c_proj), "hidden" (before c_proj), "none"


class MLPVariant(MLP):
    def __init__(self, cfg, knobs: MLPKnobs = MLPKnobs()):
        super().__init__(cfg)
        self.knobs = knobs

    def forward(self, x):
        kn = self.knobs
        act = gelu_variant(kn.activation) if kn.activation else (lambda t: t)
        h = self.c_fc(x)  # (B, T, 4C)
        h = h if kn.activation_after_proj else act(h)
        h = self.dropout(h) if kn.dropout == "hidden" else h
        y = self.c_proj(h)  # (B, T, C)
        y = act(y) if kn.activation_after_proj else y
        y = x + y if kn.residual else y
        return self.dropout(y) if kn.dropout == "output" else y


MLP_MISTAKES = _table("mlp", {
    "mlp_exact_gelu": (MLPKnobs(activation=GeluKnobs(form="erf")), Explanation(
        lazy("Your MLP uses the exact GELU"), lazy("Use the tanh approximation (the `gelu` above)."), S.GELU_TANH)),
    "mlp_relu": (MLPKnobs(activation=GeluKnobs(form="relu")), Explanation(
        lazy("Your MLP uses ReLU"), lazy("GPT-2's MLP uses GELU (the tanh approximation)."), S.GELU_TANH)),
    "mlp_no_activation": (MLPKnobs(activation=None), Explanation(
        lazy("Your MLP has no activation between c_fc and c_proj"),
        lazy("Without the non-linearity the two layers collapse into one linear map: apply `gelu` to c_fc's output."),
        S.MLP)),
    "mlp_activation_after_proj": (MLPKnobs(activation_after_proj=True), Explanation(
        lazy("Your MLP applies GELU after c_proj instead of between c_fc and c_proj"),
        lazy("The order is c_proj(gelu(c_fc(x))): the activation acts on the 4 n_embd wide hidden layer."), S.MLP)),
    "mlp_residual_inside": (MLPKnobs(residual=True), Explanation(
        lazy("Your MLP adds its input to its output"),
        lazy("The residual connection belongs to the block, not to the MLP: return c_proj(gelu(c_fc(x))) only."),
        S.RESIDUAL_STREAM)),
    "mlp_dropout_before_proj": (MLPKnobs(dropout="hidden"), Explanation(
        lazy("Your MLP applies dropout before c_proj, to the 4 n_embd wide hidden layer"),
        lazy("GPT-2 drops out the MLP's *output*, the branch that is added to the residual stream: "
             "dropout(c_proj(gelu(c_fc(x))))."), S.MLP)),
    "mlp_dropout_never_applied": (MLPKnobs(dropout="none"), Explanation(
        lazy("Your MLP never applies its dropout (or builds it with p = 0, not cfg.dropout)"),
        lazy("Defining `self.dropout` is not enough: call it on c_proj's output, dropout(c_proj(gelu(c_fc(x)))). In "
             "eval() it does nothing, in training it zeroes a fraction cfg.dropout of the outputs."), S.MLP)),
})


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


class AttentionVariant(CausalSelfAttention):
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
        y = self.attn_dropout(F.softmax(scores, dim=kn.softmax_dim)) @ v  # (B, nh, T, hd)
        if kn.split == "transpose":
            y = y.transpose(1, 2)
        y = y.reshape(B, T, C)
        return self.resid_dropout(self.c_proj(y) if kn.project else y)


_OFF_BY_ONE = lazy("Your causal mask is off by one: a position cannot see itself")
_KEEP_DIAGONAL = lazy("Query i must attend to keys 0..i inclusive: keep the diagonal (`torch.tril(ones)`, not "
                      "`tril(ones, -1)`).")

ATTENTION = _table("attention", {
    "mask_missing": (AttentionKnobs(mask="none"), Explanation(
        lazy("Your attention is not causal: every position sees the future"),
        lazy("Mask the scores above the diagonal (key j > query i) before the softmax, so that position i only "
             "attends to positions 0..i."), S.ATTENTION_MASK)),
    "mask_excludes_self": (AttentionKnobs(mask="excludes_self"), Explanation(
        _OFF_BY_ONE, lazy("{rule} The first position then has nothing to attend to.", rule=_KEEP_DIAGONAL),
        S.ATTENTION_MASK)),
    "mask_excludes_self_finite": (AttentionKnobs(mask="excludes_self", fill=-1e9), Explanation(
        _OFF_BY_ONE, _KEEP_DIAGONAL, S.ATTENTION_MASK)),
    "mask_one_future": (AttentionKnobs(mask="one_future"), Explanation(
        lazy("Your causal mask is off by one: each position sees the next token"),
        lazy("Query i must attend to keys 0..i only: `torch.tril(ones)`, not `tril(ones, 1)` (a language model that "
             "sees the next token learns nothing)."), S.ATTENTION_MASK)),
    "mask_reversed": (AttentionKnobs(mask="future_only"), Explanation(
        lazy("Your mask keeps the future and hides the past"),
        lazy("Use the lower triangle (`torch.tril`): query i attends to keys j <= i."), S.ATTENTION_MASK)),
    "scale_head_dim": (AttentionKnobs(scale="head_dim"), Explanation(
        lazy("You scale the scores by 1/head_dim"), lazy("The scale is 1/sqrt(head_dim), head_dim = n_embd // n_head."),
        S.ATTENTION_SCALE)),
    "scale_n_embd": (AttentionKnobs(scale="sqrt_n_embd"), Explanation(
        lazy("You scale the scores by 1/sqrt(n_embd)"),
        lazy("Each head computes its own dot products of length head_dim = n_embd // n_head: scale by "
             "1/sqrt(head_dim)."),
        S.ATTENTION_SCALE)),
    "scale_missing": (AttentionKnobs(scale="none"), Explanation(
        lazy("Your attention scores are not scaled"),
        lazy("Divide q k^T by sqrt(head_dim) before the softmax, or the softmax saturates as head_dim grows."),
        S.ATTENTION_SCALE)),
    "softmax_wrong_axis": (AttentionKnobs(softmax_dim=-2), Explanation(
        lazy("Your softmax runs over the queries instead of the keys"),
        lazy("Each query's weights over the keys must sum to 1: softmax over the last dimension (`dim=-1`) of the (B, "
             "n_head, T, T) scores."), S.ATTENTION)),
    "heads_no_transpose": (AttentionKnobs(split="no_transpose"), Explanation(
        lazy("You split the heads without the transpose"),
        lazy("(B, T, C) -> view(B, T, n_head, head_dim) -> transpose(1, 2) gives (B, n_head, T, head_dim). A direct "
             "view/reshape to (B, n_head, T, head_dim) mixes positions and features."), S.ATTENTION_HEADS)),
    "heads_merge_no_transpose": (AttentionKnobs(split="merge_no_transpose"), Explanation(
        lazy("You merge the heads without transposing back"),
        lazy("From (B, n_head, T, head_dim), transpose(1, 2) to (B, T, n_head, head_dim) before reshaping to (B, T, "
             "C)."),
        S.ATTENTION_HEADS)),
    "qkv_order": (AttentionKnobs(order="kqv"), Explanation(
        lazy("You read q and k from c_attn in the wrong order"),
        lazy("c_attn's output is q, k, v in that order (the order of GPT-2's checkpoint): split its last dimension "
             "into three blocks of n_embd, the first is q, the second k, the third v."), S.ATTENTION)),
    "qkv_order_v": (AttentionKnobs(order="vkq"), Explanation(
        lazy("You read q, k and v from c_attn in the wrong order"),
        lazy("c_attn's output is q, k, v in that order: split its last dimension into three blocks of n_embd, the "
             "first is q, the second k, the third v."), S.ATTENTION)),
    "no_output_projection": (AttentionKnobs(project=False), Explanation(
        lazy("Your attention forgets the output projection c_proj"), lazy("After merging the heads, apply "
                                                                          "`self.c_proj`."),
        S.ATTENTION)),
})


def attention_candidates() -> Iterator[Mistake]:
    """Every single attention mistake, then every pair of them (a mask bug *and* a scale bug...)."""
    yield from ATTENTION.values()
    default = AttentionKnobs()
    for a, b in itertools.combinations(ATTENTION.values(), 2):
        changed_a = {f for f in a.knobs.__dataclass_fields__ if getattr(a.knobs, f) != getattr(default, f)}
        changed_b = {f for f in b.knobs.__dataclass_fields__ if getattr(b.knobs, f) != getattr(default, f)}
        if changed_a & changed_b:
            continue
        knobs = replace(a.knobs, **{f: getattr(b.knobs, f) for f in changed_b})
        text = Explanation(lazy("{first}; and {second}", first=a.text.title, second=lowered(b.text.title)),
                           lazy("{first} {second}", first=a.text.explanation, second=b.text.explanation), a.section)
        yield Mistake(f"{a.key}+{b.key}", "attention", knobs, text)


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
    "post_branch_no_grad": lambda x, ln, f: ln(x + f(x).detach()),
}
FORMULA = {"pre": "x = x + f(ln(x))", "post": "x = ln(x + f(x))"}  # what each block's halves compute
BLOCK_SECTION = {"pre": S.PRE_LN_BLOCK, "post": S.POST_LN_BLOCK}
# the halves the diagnosis tries for each block: gradient bugs only inside the right layout
HALVES_TRIED = {
    "pre": [h for h in HALVES if not h.startswith("post_")],
    "post": [h for h in HALVES if h not in ("detached_shortcut", "layernorm_no_grad", "branch_no_grad")],
}


def half_text(target: str, half: str) -> Explanation:
    """What a half written as ``half`` gets wrong in a ``target`` ("pre" or "post") block.

    Every piece of advice is the target block's own formula: a Post-LN block is never told
    to write x + f(ln(x)) unless the message names the mix-up as Misconception 2.
    """
    fix, home = FORMULA[target], BLOCK_SECTION[target]
    if half == {"pre": "post", "post": "pre"}[target]:
        if target == "pre":
            return Explanation(lazy("it normalises after the residual add, ln(x + f(x)), which is the Post-LN layout"),
                               lazy("Pre-LN (GPT-2) normalises a copy of the stream going *into* the sub-layer and "
                                    "adds the result back to the un-normalised x: {fix}.", fix=fix),
                               S.MISCONCEPTION_2, 2)
        return Explanation(lazy("it adds f(ln(x)) to x, which is the Pre-LN layout"),
                           lazy("Post-LN (the 2017 Transformer) adds first and normalises the sum: {fix}.", fix=fix),
                           S.MISCONCEPTION_2, 2)
    if target == "pre" and half in ("residual_after_ln", "ln_on_shortcut", "normalised_stream"):
        return {
            "residual_after_ln": Explanation(
                lazy("the residual connection comes after the LayerNorm: h = ln(x); x = h + f(h)"),
                lazy("The shortcut must start at the input x of the residual branch (the block's input, for the "
                     "attention half), before the LayerNorm: {fix}. Starting it from ln(x) normalises the residual "
                     "stream at every block.", fix=fix), S.MISCONCEPTION_1, 1),
            "ln_on_shortcut": Explanation(
                lazy("the LayerNorm sits on the shortcut, ln(x) + f(x), instead of in the branch"),
                lazy("The LayerNorm belongs inside the residual branch, in front of the sub-layer: {fix}; the stream "
                     "itself is never normalised.", fix=fix), S.MISCONCEPTION_3, 3),
            "normalised_stream": Explanation(
                lazy("the residual stream is normalised after the add: ln(x + f(ln(x)))"),
                lazy("The LayerNorm belongs only inside the branch, {fix}; normalising the stream itself removes the "
                     "identity path.", fix=fix), S.MISCONCEPTION_3, 3),
        }[half]
    no_branch_gradient = lazy("The forward pass is right, but the sub-layer's weights get no gradient.")
    texts = {
        "residual_after_ln": (lazy("the shortcut starts from the normalised ln(x): x = ln(x) + f(ln(x))"),
                              lazy("Post-LN feeds the sub-layer the stream itself and normalises after the add: "
                                   "{fix}.", fix=fix)),
        "ln_on_shortcut": (lazy("the LayerNorm sits on the shortcut only: x = ln(x) + f(x)"),
                           lazy("In Post-LN the LayerNorm takes the sum of the shortcut and the sub-layer: {fix}.",
                                fix=fix)),
        "normalised_stream": (lazy("the sub-layer is fed ln(x): x = ln(x + f(ln(x)))"),
                              lazy("Post-LN feeds the sub-layer the un-normalised stream and normalises the sum: "
                                   "{fix}.", fix=fix)),
        "ln_after_sublayer": (lazy("the LayerNorm normalises only the sub-layer's output: x = x + ln(f(x))"),
                              {"pre": lazy("Normalise the sub-layer's input instead: {fix}.", fix=fix),
                               "post": lazy("Post-LN normalises the sum, shortcut included: {fix}.", fix=fix)}[target]),
        "no_residual": (lazy("there is no residual connection: x = f(ln(x))"),
                        lazy("Add the sub-layer's output back to its input: {fix}.", fix=fix)),
        "post_no_residual": (lazy("there is no residual connection: x = ln(f(x))"),
                             lazy("Add the sub-layer's output to its input before normalising: {fix}.", fix=fix)
                             if target == "post" else lazy("Add the sub-layer's output to its input: {fix}.", fix=fix)),
        "no_layernorm": (lazy("the LayerNorm is missing: x = x + f(x)"),
                         lazy("Each sub-layer has its own LayerNorm (ln_1 for the attention, ln_2 for the MLP): {fix}.",
                              fix=fix)),
        "detached_shortcut": (lazy("the shortcut is detached from the graph (x.detach() or torch.no_grad())"),
                              lazy("The forward pass is right, but the gradient cannot flow back through the identity "
                                   "path: exactly the path that makes Pre-LN trainable.")),
        "layernorm_no_grad": (lazy("the LayerNorm runs under torch.no_grad() (or is detached)"),
                              lazy("The forward pass is right, but no gradient reaches the LayerNorm's gain and bias "
                                   "or flows through the branch to x.")),
        "branch_no_grad": (lazy("the sub-layer's branch runs under torch.no_grad() (or is detached)"),
                           no_branch_gradient),
        "post_detached_shortcut": (lazy("the shortcut is detached from the graph: ln(x.detach() + f(x))"),
                                   lazy("The forward pass is right, but no gradient flows back through the shortcut.")),
        "post_branch_no_grad": (lazy("the sub-layer's branch runs under torch.no_grad() (or is detached): "
                                     "ln(x + f(x).detach())"), no_branch_gradient),
    }
    title, explanation = texts[half]
    section = {"no_residual": S.RESIDUAL_STREAM if target == "pre" else home}.get(half, home)
    if half in ("detached_shortcut", "layernorm_no_grad", "branch_no_grad", "post_detached_shortcut",
                "post_branch_no_grad"):
        section = S.DETACHED_PATHS
    return Explanation(title, explanation, section)


@dataclass(frozen=True)
class BlockKnobs:
    """One way of writing a block: how each half combines x, its LayerNorm and its sub-layer."""

    attn_half: str = "pre"  # a key of HALVES
    mlp_half: str = "pre"
    norms: str = "12"  # the LayerNorm each half uses: "12" right, "11" ln_1 twice, "21" swapped
    mlp_first: bool = False  # the MLP half runs before the attention half


class BlockVariant(PreLNBlock):
    """A block written as ``knobs`` say (``set_knobs`` re-wires it in place: the diagnosis tries a thousand)."""

    def __init__(self, cfg, knobs: BlockKnobs = BlockKnobs()):
        super().__init__(cfg)
        self.knobs = knobs

    def set_knobs(self, knobs: BlockKnobs) -> "BlockVariant":
        self.knobs = knobs
        return self

    def forward(self, x, cache=None):
        kn, ln = self.knobs, {"1": self.ln_1, "2": self.ln_2}
        steps = [(HALVES[kn.attn_half], ln[kn.norms[0]], self.attn), (HALVES[kn.mlp_half], ln[kn.norms[1]], self.mlp)]
        for half, norm, sublayer in (reversed(steps) if kn.mlp_first else steps):
            x = half(x, norm, sublayer)  # (B, T, C) -> (B, T, C)
        return x


def block_mistake(target: str, knobs: BlockKnobs, key: str | None = None) -> Mistake:
    """Describe a block variant in words, relative to the ``target`` layout ("pre" or "post")."""
    texts, parts = [], []
    if knobs.attn_half == knobs.mlp_half != target:
        text = half_text(target, knobs.attn_half)
        texts.append(text)
        parts.append(lazy("in both halves, {title}", title=text.title))
    else:
        for half, part in ((knobs.attn_half, lambda title: lazy("in the attention half, {title}", title=title)),
                           (knobs.mlp_half, lambda title: lazy("in the MLP half, {title}", title=title))):
            if half != target:
                text = half_text(target, half)
                texts.append(text)
                parts.append(part(text.title))
    slips = {"11": Explanation(lazy("both halves use ln_1 (ln_2 is never used)"),
                               lazy("Each sub-layer has its own LayerNorm: ln_1 with the attention, ln_2 with the "
                                    "MLP."),
                               BLOCK_SECTION[target]),
             "21": Explanation(lazy("ln_1 and ln_2 are swapped"),
                               lazy("ln_1 goes with the attention, ln_2 with the MLP (the names the checkpoint uses)."),
                               BLOCK_SECTION[target])}
    if knobs.norms in slips:
        texts.append(slips[knobs.norms])
        parts.append(slips[knobs.norms].title)
    if knobs.mlp_first:
        texts.append(Explanation(lazy("the MLP runs before the attention"),
                                 lazy("A block first mixes information across positions (attention), then transforms "
                                      "each position (MLP)."), BLOCK_SECTION[target]))
        parts.append(texts[-1].title)
    misconception = next((t.misconception for t in texts if t.misconception), None)
    text = Explanation(lazy("Your block: {parts}", parts=Joined(lazy("; "), tuple(parts))),
                       Joined(lazy(" "), tuple(t.explanation for t in texts)), texts[0].section, misconception)
    key = key or (f"{target}:{knobs.attn_half}/{knobs.mlp_half}/{knobs.norms}/"
                  f"{'mlp_first' if knobs.mlp_first else 'attn_first'}")
    return Mistake(key, f"{target}_ln_block", knobs, text)


def _blocks(target: str, entries: dict[str, BlockKnobs]) -> dict[str, Mistake]:
    return {key: block_mistake(target, knobs, key) for key, knobs in entries.items()}


BLOCKS = _blocks("pre", {
    "residual_after_ln": BlockKnobs("residual_after_ln", "residual_after_ln"),
    "post_ln_instead_of_pre_ln": BlockKnobs("post", "post"),
    "ln_on_shortcut": BlockKnobs("ln_on_shortcut", "ln_on_shortcut"),
    "normalised_stream": BlockKnobs("normalised_stream", "normalised_stream"),
    "ln_after_sublayer": BlockKnobs("ln_after_sublayer", "ln_after_sublayer"),
    "no_residual": BlockKnobs("no_residual", "no_residual"),
    "missing_layernorms": BlockKnobs("no_layernorm", "no_layernorm"),
    "missing_ln_2": BlockKnobs("pre", "no_layernorm"),
    "shared_ln_2": BlockKnobs(norms="11"),
    "swapped_layernorms": BlockKnobs(norms="21"),
    "mlp_before_attention": BlockKnobs(mlp_first=True),
    "detached_shortcut": BlockKnobs("detached_shortcut", "detached_shortcut"),
    "layernorm_no_grad": BlockKnobs("layernorm_no_grad", "layernorm_no_grad"),
    "branch_no_grad": BlockKnobs("branch_no_grad", "branch_no_grad"),
}) | _blocks("post", {
    "pre_ln_instead_of_post_ln": BlockKnobs("pre", "pre"),
    "post_ln_after_sublayer": BlockKnobs("ln_after_sublayer", "ln_after_sublayer"),
    "post_missing_residual": BlockKnobs("post_no_residual", "post_no_residual"),
    "post_shared_ln_2": BlockKnobs("post", "post", norms="11"),
    "post_mlp_before_attention": BlockKnobs("post", "post", mlp_first=True),
    "post_detached_shortcut": BlockKnobs("post_detached_shortcut", "post_detached_shortcut"),
})


def block_candidates(target: str) -> Iterator[Mistake]:
    """Every mix of half-block mistakes and LayerNorm / order slips, simplest first."""
    kinds = HALVES_TRIED[target]
    variants = []
    for attn_half, mlp_half, norms, mlp_first in itertools.product(kinds, kinds, ("12", "11", "21"), (False, True)):
        if (attn_half, mlp_half, norms, mlp_first) == (target, target, "12", False):
            continue  # that is the right block
        slips = (attn_half != target) + (mlp_half != target) + (norms != "12") + mlp_first
        if attn_half == mlp_half != target:
            slips -= 1  # the same mistake made twice is one misunderstanding
        variants.append((slips, BlockKnobs(attn_half, mlp_half, norms, mlp_first)))
    variants.sort(key=lambda v: v[0])
    for _slips, knobs in variants:
        yield block_mistake(target, knobs)


# --------------------------------------------------------------------------- GPT2


@dataclass(frozen=True)
class GPT2Knobs:
    """One way of writing the whole model; the defaults are the right way."""

    first_position: int = 0  # positions are first_position, ..., first_position + T - 1
    position_embedding: bool = True  # adds wpe(positions)
    embedding_dropout: bool = True  # applies drop to wte(idx) + wpe(positions)
    ln_f: str = "end"  # "end" (once, after the last block), "none", "every_block"
    tied: bool = True  # lm_head.weight is wte.weight
    blocks_follow_norm: bool = True  # False: Pre-LN blocks even for norm="post"


class GPT2Variant(GPT2):
    def __init__(self, cfg, norm="pre", knobs: GPT2Knobs = GPT2Knobs()):
        super().__init__(cfg, norm=norm if knobs.blocks_follow_norm else "pre")
        self.knobs = knobs
        if not knobs.blocks_follow_norm and norm == "post":
            self.ln_f = nn.Identity()  # Post-LN's ln_f, with Pre-LN blocks
        if not knobs.tied:
            self.lm_head.weight = nn.Parameter(self.wte.weight.detach().clone())

    def forward(self, idx, caches=None):
        kn, T = self.knobs, idx.shape[1]
        pos = torch.arange(kn.first_position, kn.first_position + T, device=idx.device)  # (T,)
        x = self.wte(idx) + self.wpe(pos) if kn.position_embedding else self.wte(idx)  # (B, T, C)
        x = self.drop(x) if kn.embedding_dropout else x
        for block in self.h:
            x = block(x)
            x = self.ln_f(x) if kn.ln_f == "every_block" else x
        x = self.ln_f(x) if kn.ln_f == "end" else x
        return self.lm_head(x)  # (B, T, vocab_size)


GPT2_MISTAKES = _table("gpt2", {
    "no_position_embedding": (GPT2Knobs(position_embedding=False), Explanation(
        lazy("Your GPT2 does not add the position embedding"),
        lazy("x = wte(idx) + wpe(positions), positions = 0, 1, ..., T-1: without wpe the model cannot tell the order "
             "of the tokens."), S.GPT2_MODEL)),
    "positions_from_one": (GPT2Knobs(first_position=1), Explanation(
        lazy("Your positions start at 1"), lazy("The first token has position 0: `torch.arange(T)`."), S.GPT2_MODEL)),
    "no_ln_f": (GPT2Knobs(ln_f="none"), Explanation(
        lazy("Your GPT2 forgets the final LayerNorm ln_f"),
        lazy("GPT-2 normalises the stream once after the last block, before lm_head: in Pre-LN the stream is never "
             "normalised inside the stack."), S.GPT2_MODEL)),
    "ln_f_every_block": (GPT2Knobs(ln_f="every_block"), Explanation(
        lazy("Your GPT2 applies ln_f after every block"),
        lazy("ln_f runs once, after the last block; applying it inside the loop normalises the residual stream."),
        S.GPT2_MODEL)),
    "untied_lm_head": (GPT2Knobs(tied=False), Explanation(
        lazy("Your lm_head is not tied to wte"),
        lazy("GPT-2 uses one matrix to read and write tokens: lm_head's weight must be wte's weight, the same "
             "Parameter object, not a copy. Untied, the forward pass can look right with copied weights but the "
             "gradients and the parameter count differ."),
        S.GPT2_MODEL)),
    "ignores_norm": (GPT2Knobs(blocks_follow_norm=False), Explanation(
        lazy("Your GPT2 builds Pre-LN blocks even when norm='post'"),
        lazy("Pick the block class from `norm`: PreLNBlock for 'pre', PostLNBlock for 'post' (and ln_f = "
             "nn.Identity() for 'post')."), S.GPT2_MODEL)),
    "embedding_dropout_never_applied": (GPT2Knobs(embedding_dropout=False), Explanation(
        lazy("Your GPT2 never applies its dropout `drop` (or builds it with p = 0, not cfg.dropout)"),
        lazy("Drop out the embeddings before the first block: x = drop(wte(idx) + wpe(positions)). In eval() it does "
             "nothing; in training it zeroes a fraction cfg.dropout of them."), S.GPT2_MODEL)),
})

# --------------------------------------------------------------------------- the whole library

VARIANTS = {"layernorm": LayerNormVariant, "mlp": MLPVariant, "attention": AttentionVariant,
            "pre_ln_block": BlockVariant, "post_ln_block": BlockVariant, "gpt2": GPT2Variant}
MISTAKES: dict[str, Mistake] = LAYERNORM | GELU | MLP_MISTAKES | ATTENTION | BLOCKS | GPT2_MISTAKES


def mistakes_for(component: str) -> list[Mistake]:
    return [m for m in MISTAKES.values() if m.component == component]


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
