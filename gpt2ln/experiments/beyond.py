"""Cheap reproductions of what came after Pre-LN (book chapter 8), built from gpt2ln's modules.

Each variant is a block with GPT-2's module names, so the same measurement as
:func:`gpt2ln.experiments.gradient_flow` (one forward + backward at initialisation, on
random tokens) applies to all of them:

* ``"rms"``: Pre-LN with RMSNorm (Zhang & Sennrich 2019) instead of LayerNorm, as in LLaMA;
* ``"peri"``: Peri-LN (Kim et al. 2025), a LayerNorm on each branch's input *and* output;
* ``"deepnorm"``: DeepNorm (Wang et al. 2022), Post-LN with the shortcut up-weighted by
  ``alpha`` and the branch weights down-scaled by ``beta`` at initialisation;
* ``"mix"``: Mix-LN (Li et al. 2025), Post-LN in the first quarter of the stack, Pre-LN above;
* ``"normformer"``: NormFormer (Shleifer et al. 2021), Pre-LN plus a LayerNorm after
  attention and one after the MLP's activation (its head-wise scales start at 1, the
  identity at initialisation, and are left out);
* ``"lns"``: LayerNorm Scaling (Sun et al. 2025), Pre-LN whose LayerNorm outputs in block
  ``l`` (counted from 1) are multiplied by ``1/sqrt(l)``.

:func:`block_shares` turns a measurement into how much each block changes the stream: the
"curse of depth" is that this share falls with depth in Pre-LN.

:func:`flow_of_blocks` takes any block factory, so chapter 7 measures the three
misconceptions with it too.
"""

import itertools
from collections.abc import Callable

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from ..blocks import PostLNBlock, PreLNBlock
from ..config import GPTConfig
from ..layers import gelu
from ..model import GPT2, lm_loss
from .gradient_flow import FlowResult, flow_of_model, make_model, xavier_init_

VARIANTS = ("post", "pre", "rms", "peri", "deepnorm", "mix")
LATER = ("pre", "normformer", "lns")  # chapter 8's "where the story goes next"


class RMSNorm(nn.Module):
    """Scale each token's vector to unit root-mean-square; no mean subtraction, no bias.

    LayerNorm's centring turned out not to matter for Transformers (Zhang & Sennrich 2019);
    dropping it saves a reduction per call, which is why LLaMA-style models use RMSNorm.
    """

    def __init__(self, n_embd: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return x / rms * self.weight


class PreRMSBlock(PreLNBlock):
    """GPT-2's Pre-LN block with its two LayerNorms replaced by RMSNorm."""

    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__(cfg, fast=fast)
        self.ln_1 = RMSNorm(cfg.n_embd, cfg.layer_norm_epsilon)
        self.ln_2 = RMSNorm(cfg.n_embd, cfg.layer_norm_epsilon)


class PeriLNBlock(PreLNBlock):
    """Peri-LN: ``x = x + ln_out(f(ln_in(x)))``; the branch's output is normalised before the add.

    The shortcut still starts at ``x`` (the stream is never normalised), but each branch
    now adds a vector of fixed size, so one branch cannot blow up the stream.
    """

    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__(cfg, fast=fast)
        self.ln_1_out = type(self.ln_1)(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.ln_2_out = type(self.ln_2)(cfg.n_embd, eps=cfg.layer_norm_epsilon)

    def forward(self, x: torch.Tensor, cache=None) -> torch.Tensor:
        x = x + self.ln_1_out(self.attn(self.ln_1(x), cache))  # (B, T, C)
        x = x + self.ln_2_out(self.mlp(self.ln_2(x)))
        return x


class DeepNormBlock(PostLNBlock):
    """DeepNorm: Post-LN with ``x = ln(alpha * x + f(x))``, alpha = (2N)^(1/4) for an N-layer decoder.

    Up-weighting the shortcut bounds how far one update can move the block's output
    (Wang et al. 2022); the matching ``beta`` initialisation is :func:`deepnorm_init_`.
    """

    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__(cfg, fast=fast)
        self.alpha = (2 * cfg.n_layer) ** 0.25

    def forward(self, x: torch.Tensor, cache=None) -> torch.Tensor:
        x = self.ln_1(self.alpha * x + self.attn(x, cache))
        x = self.ln_2(self.alpha * x + self.mlp(x))
        return x


class NormFormerBlock(PreLNBlock):
    """NormFormer: ``x = x + ln_attn(attn(ln_1(x)))``; ``x = x + c_proj(ln_mid(gelu(c_fc(ln_2(x)))))``.

    Two extra LayerNorms inside the branches (Shleifer et al. 2021, Section 2): one on the
    attention output, one on the MLP's hidden activation. The shortcut is Pre-LN's.
    """

    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__(cfg, fast=fast)
        self.ln_attn = type(self.ln_1)(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.ln_mid = type(self.ln_1)(4 * cfg.n_embd, eps=cfg.layer_norm_epsilon)

    def forward(self, x: torch.Tensor, cache=None) -> torch.Tensor:
        x = x + self.ln_attn(self.attn(self.ln_1(x), cache))  # (B, T, C)
        x = x + self.mlp.c_proj(self.ln_mid(gelu(self.mlp.c_fc(self.ln_2(x)))))
        return x


class LNScaledBlock(PreLNBlock):
    """LayerNorm Scaling: ``x = x + attn(ln_1(x) / sqrt(l))``; ``x = x + mlp(ln_2(x) / sqrt(l))``.

    ``l`` is the block's depth, counted from 1 (Sun et al. 2025, Section 4): deeper blocks
    read a smaller copy of the stream, which slows the stream's growth.
    """

    def __init__(self, cfg: GPTConfig, depth: int, fast: bool = False):
        super().__init__(cfg, fast=fast)
        self.scale = depth**-0.5

    def forward(self, x: torch.Tensor, cache=None) -> torch.Tensor:
        x = x + self.attn(self.scale * self.ln_1(x), cache)  # (B, T, C)
        x = x + self.mlp(self.scale * self.ln_2(x))
        return x


def deepnorm_init_(model: GPT2) -> None:
    """Scale the value projection, the attention output and both MLP matrices by beta = (8N)^(-1/4)."""
    beta = (8 * len(model.h)) ** -0.25
    with torch.no_grad():
        for block in model.h:
            c = block.attn.c_attn.weight.shape[1]  # (3C, C): rows are q, k, v
            block.attn.c_attn.weight[2 * c :].mul_(beta)
            for layer in (block.attn.c_proj, block.mlp.c_fc, block.mlp.c_proj):
                layer.weight.mul_(beta)


def mix_ln_factory(n_layer: int, post_fraction: float = 0.25) -> Callable[[GPTConfig, int], nn.Module]:
    """Mix-LN: the first ``round(post_fraction * L)`` blocks are Post-LN, the rest Pre-LN."""
    n_post = round(post_fraction * n_layer)
    return lambda cfg, i: PostLNBlock(cfg) if i < n_post else PreLNBlock(cfg)


def build_model(
    block_factory: Callable[[GPTConfig, int], nn.Module],
    n_layer: int,
    *,
    final_ln: bool = True,
    n_embd: int = 64,
    n_head: int = 4,
    vocab_size: int = 256,
    n_positions: int = 128,
    init: str = "xavier",
    seed: int = 0,
) -> GPT2:
    """A ``GPT2`` whose blocks come from ``block_factory(cfg, layer_index)``, initialised like the paper's.

    ``final_ln=False`` makes ``ln_f`` the identity (for stacks whose last block already
    ends in a LayerNorm, as Post-LN's does). The global random state is left untouched.
    """
    cfg = GPTConfig(vocab_size=vocab_size, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer, n_head=n_head)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT2(cfg, norm="pre")
        model.h = nn.ModuleList(block_factory(cfg, i) for i in range(n_layer))
        if not final_ln:
            model.ln_f = nn.Identity()
        if init == "xavier":
            xavier_init_(model)
        elif init == "gpt2":
            from ..model import init_gpt2_weights, scale_residual_projections

            model.apply(init_gpt2_weights)
            scale_residual_projections(model)
        else:
            raise ValueError(f"init must be 'xavier' or 'gpt2', got {init!r}")
    return model


def variant_model(name: str, n_layer: int, **kw) -> GPT2:
    """One of :data:`VARIANTS` as a fresh model (see the module docstring)."""
    factories = {
        "post": (lambda cfg, i: PostLNBlock(cfg), False),
        "pre": (lambda cfg, i: PreLNBlock(cfg), True),
        "rms": (lambda cfg, i: PreRMSBlock(cfg), True),
        "peri": (lambda cfg, i: PeriLNBlock(cfg), True),
        "deepnorm": (lambda cfg, i: DeepNormBlock(cfg), False),
        "mix": (mix_ln_factory(n_layer), True),
        "normformer": (lambda cfg, i: NormFormerBlock(cfg), True),
        "lns": (lambda cfg, i: LNScaledBlock(cfg, i + 1), True),
    }
    if name not in factories:
        raise ValueError(f"unknown variant {name!r}; choose from {VARIANTS + LATER[1:]}")
    if name in ("pre", "post"):  # exactly the models gradient_flow measures
        return make_model(name, n_layer, **kw)
    factory, final_ln = factories[name]
    model = build_model(factory, n_layer, final_ln=final_ln, **kw)
    if name == "rms":
        model.ln_f = RMSNorm(model.cfg.n_embd, model.cfg.layer_norm_epsilon)
    if name == "deepnorm":
        deepnorm_init_(model)
    return model


def variant_flows(n_layer: int = 12, names=VARIANTS, seed: int = 0) -> dict[str, FlowResult]:
    """:func:`~gpt2ln.experiments.flow_of_model` of each variant, at the same depth and seed."""
    return {
        name: flow_of_model(variant_model(name, n_layer, seed=seed), norm=name, init="xavier", seed=seed)
        for name in tqdm(names, desc="variants", leave=False)
    }


def block_shares(flow: FlowResult) -> list[float]:
    """How much block ``l`` changes the stream at initialisation: ``(E||x_{l+1}||^2 - E||x_l||^2) / E||x_l||^2``.

    At initialisation a branch's output is uncorrelated with the stream it is added to, so
    the growth of the squared stream is the block's squared update, relative to the stream
    it received. A share near 0 means the block is nearly the identity map: Sun et al.'s
    "curse of depth". (For blocks that end in a LayerNorm the share means nothing.)
    """
    h = flow.hidden_norms
    return [(b - a) / a for a, b in itertools.pairwise(h)]


def flow_of_blocks(block_factory, n_layer: int, label: str, *, final_ln: bool = True, seed: int = 0) -> FlowResult:
    """The gradient-flow measurement of a stack of any block (``block_factory(cfg, i)``), e.g. a student's wrong one."""
    model = build_model(block_factory, n_layer, final_ln=final_ln, seed=seed)
    return flow_of_model(model, norm=label, init="xavier", seed=seed)


def first_step_change(norm: str, n_layer: int, *, lr: float = 1e-3, seed: int = 0) -> tuple[float, float]:
    """Liu et al.'s amplification, measured: how much one Adam-sized step moves the output.

    Adam's first update moves every weight by about ``lr`` in the direction of minus the
    sign of its gradient, whatever the gradient's size. Apply exactly that step to a fresh
    model (:func:`gpt2ln.experiments.make_model`, the paper's initialisation) and return
    ``(||logits' - logits|| / ||logits||, loss' - loss)`` on the same seeded random batch: how
    far the step moved the output, and whether it helped.
    """
    model = make_model(norm, n_layer, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    idx = torch.randint(model.cfg.vocab_size, (8, 32), generator=gen)  # (B, T)
    targets = torch.randint(model.cfg.vocab_size, (8, 32), generator=gen)  # (B, T)
    logits = model(idx)  # (B, T, V)
    loss = lm_loss(logits, targets)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad.sign()
        new_logits = model(idx)
        relative_change = ((new_logits - logits).norm() / logits.norm()).item()
        return relative_change, (lm_loss(new_logits, targets) - loss).item()


__all__ = [
    "VARIANTS",
    "RMSNorm",
    "PreRMSBlock",
    "PeriLNBlock",
    "DeepNormBlock",
    "deepnorm_init_",
    "NormFormerBlock",
    "LNScaledBlock",
    "LATER",
    "block_shares",
    "mix_ln_factory",
    "build_model",
    "variant_model",
    "variant_flows",
    "flow_of_blocks",
    "first_step_change",
]
