"""Gradients at initialisation: why Post-LN needs warmup and Pre-LN needs less (Xiong et al. 2020).

Xiong et al., "On Layer Normalization in the Transformer Architecture" (ICML 2020), show
that at initialisation, for Xavier weights and no depth-dependent scaling,

* Post-LN: the gradient of the last FFN weight ``W^{2,L}`` does not shrink with depth
  (Theorem 1, Fig. 3 c/d), so the layers next to the output get large updates and a
  large learning rate at step 0 is unsafe;
* Pre-LN: the residual stream is a sum of branch outputs, so ``E||x_l||^2`` grows
  linearly with ``l`` (Lemma 2); the final LayerNorm divides by ``||x_L|| ~ sqrt(L)``, so
  the last layer's gradient is ``1/sqrt(L)`` smaller (Theorem 1).

Everything here is one forward and one backward pass of a fresh model on random tokens:
no optimiser, no data. Choices, and what they change:

* **Which weight.** ``grad_norms`` is the paper's ``W^{2,l}``, the second MLP matrix,
  ``h[l].mlp.c_proj.weight``; ``block_grad_norms`` takes all of block ``l``'s parameters
  and tells the same story.
* **Which init.** ``init="xavier"`` is the paper's setting (see :func:`xavier_init_`):
  with it, Theorem 1 reproduces: from 6 to 24 blocks the last layer's gradient stays
  put for Post-LN and about halves (``sqrt(6/24)``) for Pre-LN. ``init="gpt2"`` is GPT-2's
  own (``N(0, 0.02)``, residual projections shrunk by ``1/sqrt(2L)``): the branches are so
  small that the stream's mean square grows by about 1.5x whatever the depth, so there is
  no growth with depth and no ``1/sqrt(L)``. Theorem 1's ``1/sqrt(L)`` is a statement about
  the Xavier setting, not about GPT-2.
* **Per-layer profile (Fig. 3 a/b).** Measured here, last layer over first (seed 0):
  Pre-LN 0.59 / 0.48 / 0.31 at L = 6 / 12 / 24, falling with depth (each block's
  LayerNorm divides by a stream that has grown); Post-LN 0.85 / 0.77 / 1.40, rising above
  1 only at L = 24. The paper's figure is for an encoder-decoder translation model (its
  decoder has encoder-decoder attention); this is a decoder-only stack. NormFormer
  (Shleifer et al. 2021) reports the same Pre-LN pattern in decoder-only language models:
  early layers get larger gradients than later ones.
* **Lemma 2's setting.** The lemma is stated for layers of *uniform* self-attention
  (``W^Q = W^K = 0``) plus a width-``d`` ReLU FFN with Xavier weights: the FFN adds ``d/2``
  (Lemma 1), the attention between 0 and ``d``, hence between ``d/2`` and ``3d/2`` per
  layer in Pre-LN, and ``E||x^{post,5}_l||^2 = 3d/2`` in Post-LN (the input of each
  block's last LayerNorm, so the final LayerNorm's input has size ``sqrt(1.5 d)``).
  :func:`lemma2_setting` reproduces exactly that setting. In GPT-2's block the mechanism
  is the same (cross terms vanish at initialisation, so
  ``||x_l||^2 = ||x_0||^2 + sum of the branches' ||output||^2``, see ``attn_branch_norms``,
  ``mlp_branch_norms``), but the constants differ: the 4x-wide GELU MLP with Xavier weights
  adds about ``0.23 d`` (``1.6 E[gelu(z)^2]``, ``z ~ N(0, 0.4)``) and causal attention
  ``0.1-0.4 d``: the stream grows at every block, by about ``0.54 d`` per block on
  average at L = 24 (seed 0), but not at a constant rate: ``0.38 d`` per block over the
  first 12 blocks, ``0.69 d`` over the last 12 (the attention branch's output grows from
  about ``0.1 d`` to ``0.3-0.4 d`` up the stack, the MLP's stays near ``0.23 d``);
  inside the upper bound and a little under the lower one.
"""

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from ..config import GPTConfig
from ..model import GPT2, lm_loss
from .threads import torch_threads

INITS = ("xavier", "gpt2")


def xavier_init_(model: GPT2) -> None:
    """Re-initialise ``model`` as in Xiong et al. (their fairseq setup).

    * every ``nn.Linear`` weight: Xavier-normal, ``std = sqrt(2 / (fan_in + fan_out))``;
      biases zero. ``c_attn`` is one (3C, C) matrix, which gives q, k and v each the
      variance ``1 / (2C)``: the same as fairseq's separate q/k/v projections with
      gain ``1/sqrt(2)``.
    * the embeddings ``wte`` and ``wpe``: ``N(0, 1/2)`` each, so their sum, the input
      ``x_0`` of the first block, has unit variance per coordinate (``E||x_0||^2 = d``),
      the assumption of Lemma 2.
    * the output layer ``lm_head``: its own matrix, ``N(0, 1/d)``, so the logits of a
      unit-variance final state have unit variance and the loss starts near
      ``ln(vocab_size)``. fairseq ties input and output embeddings at ``N(0, 1/d)`` and
      multiplies the input by ``sqrt(d)``; GPT-2's forward has no such multiplier, so a
      tied ``N(0, 1/2)`` matrix would give logits of standard deviation ``sqrt(d/2)``
      (5.7 at d=64), a saturated softmax and a starting loss near 16. The head is
      therefore *untied* in these measurement models (not in the course's GPT-2).
    * LayerNorm gains one, biases zero (unchanged).
    """
    d = model.cfg.n_embd
    model.lm_head.weight = nn.Parameter(torch.empty(model.cfg.vocab_size, d))  # untie from wte
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    nn.init.normal_(model.lm_head.weight, std=1 / math.sqrt(d))
    nn.init.normal_(model.wte.weight, std=math.sqrt(0.5))
    nn.init.normal_(model.wpe.weight, std=math.sqrt(0.5))


def make_model(
    norm: str,
    n_layer: int,
    *,
    n_embd: int = 64,
    n_head: int = 4,
    vocab_size: int = 256,
    n_positions: int = 128,
    init: str = "xavier",
    seed: int = 0,
) -> GPT2:
    """A fresh, deterministic ``GPT2`` with Pre-LN (``norm="pre"``) or Post-LN blocks.

    ``init="gpt2"`` keeps GPT-2's own initialisation; ``init="xavier"`` applies
    :func:`xavier_init_`. The global random state is left untouched: the same arguments
    always give the same weights.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    cfg = GPTConfig(vocab_size=vocab_size, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer, n_head=n_head)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT2(cfg, norm=norm)
        if init == "xavier":
            xavier_init_(model)
    return model


@dataclass
class FlowResult:
    """What one forward + backward pass at initialisation measured, layer by layer."""

    norm: str
    n_layer: int
    init: str
    grad_norms: list[float]  # len L: ||d loss / d W^{2,l}||_F, W^{2,l} = h[l].mlp.c_proj.weight
    block_grad_norms: list[float]  # len L: norm of the gradient of all of block l's parameters
    hidden_norms: list[float]  # len L+1: mean over tokens of ||x_l||^2 / n_embd
    attn_branch_norms: list[float] = field(default_factory=list)  # len L: mean ||attn output||^2 / n_embd
    mlp_branch_norms: list[float] = field(default_factory=list)  # len L: mean ||mlp output||^2 / n_embd
    loss: float = float("nan")  # the loss the gradients are of (about ln(vocab_size) at xavier init)

    @property
    def top_bottom_ratio(self) -> float:
        """Gradient norm of the last layer's ``W^2`` over the first layer's (Fig. 3 a/b)."""
        return self.grad_norms[-1] / self.grad_norms[0]

    @property
    def last_grad_norm(self) -> float:
        """Gradient norm of ``W^{2,L}``, the quantity Theorem 1 bounds (Fig. 3 c/d)."""
        return self.grad_norms[-1]


def lemma2_bounds(n_layer: int) -> tuple[list[float], list[float]]:
    """Xiong et al.'s Lemma 2 for Pre-LN, in units of ``d``: ``1 + l/2 <= E||x_l||^2 / d <= 1 + 3l/2``.

    Returns ``(lower, upper)``, each of length ``n_layer + 1`` (``l = 0 .. n_layer``), to
    compare with :attr:`FlowResult.hidden_norms` or :func:`lemma2_setting`. The lemma's
    layer is uniform attention plus a width-``d`` ReLU FFN; a GPT-2 block (causal attention
    + 4x GELU MLP) adds a little less than ``d/2`` per block at Xavier init (see the module
    docstring).
    """
    lower = [1 + l / 2 for l in range(n_layer + 1)]
    upper = [1 + 3 * l / 2 for l in range(n_layer + 1)]
    return lower, upper


def lemma2_setting(n_layer: int, *, d: int = 256, n_tokens: int = 64, batch_size: int = 8,
                   seed: int = 0) -> dict[str, list[float]]:
    """Xiong et al.'s Lemma 2 in its own setting, measured: uniform attention plus a ReLU FFN.

    Each layer is a self-attention with ``W^Q = W^K = 0`` (every token attends to all
    ``n_tokens`` with weight ``1/n_tokens``, as in the paper's encoder) and value and
    output matrices ``W^V``, ``W^O``, then an FFN ``ReLU(x W^1) W^2``; all four ``d x d``
    matrices Xavier, ``N(0, 1/d)``, no biases; the input ``x_0`` has unit-variance
    coordinates. Returns, in units of ``d`` (means over tokens):

    * ``"pre"``: ``E||x_l||^2`` of the Pre-LN stream, ``l = 0 .. n_layer``;
    * ``"post"``: ``E||x^{post,5}_l||^2`` of the Post-LN stack, ``l = 1 .. n_layer``: the sum
      ``x^{post,3} + FFN(x^{post,3})`` that each layer's last LayerNorm receives.
    """
    gen = torch.Generator().manual_seed(seed)

    def weights():
        return [torch.randn(d, d, generator=gen) / math.sqrt(d) for _ in range(4)]  # W^V, W^O, W^1, W^2

    def ln(x):
        return torch.nn.functional.layer_norm(x, (d,))

    def attn(x, w_v, w_o):  # uniform attention: the mean over tokens, for every token
        return (x @ w_v @ w_o).mean(dim=1, keepdim=True).expand_as(x)

    def ffn(x, w_1, w_2):
        return torch.relu(x @ w_1) @ w_2

    def size(x):
        return x.pow(2).sum(-1).mean().item() / d

    x0 = torch.randn(batch_size, n_tokens, d, generator=gen)  # (B, T, d)
    layers = [weights() for _ in range(n_layer)]
    pre, post = [size(x0)], []
    x = x0
    for w_v, w_o, w_1, w_2 in layers:
        x = x + attn(ln(x), w_v, w_o)
        x = x + ffn(ln(x), w_1, w_2)
        pre.append(size(x))
    x = x0
    for w_v, w_o, w_1, w_2 in layers:
        x3 = ln(x + attn(x, w_v, w_o))
        x5 = x3 + ffn(x3, w_1, w_2)
        post.append(size(x5))
        x = ln(x5)
    return {"pre": pre, "post": post}


def _grad_norm(params) -> float:
    squares = [p.grad.pow(2).sum() for p in params if p.grad is not None]
    return math.sqrt(float(sum(squares))) if squares else 0.0


def gradient_flow(
    norm: str,
    n_layer: int,
    *,
    n_embd: int = 64,
    n_head: int = 4,
    seq_len: int = 32,
    batch_size: int = 8,
    init: str = "xavier",
    seed: int = 0,
    vocab_size: int = 256,
    threads: int | None = 1,
) -> FlowResult:
    """One forward + backward of ``lm_loss`` on random tokens; per-layer gradient and hidden norms.

    Inputs and targets are independent uniform random tokens (seeded): at initialisation
    the model knows nothing, so the data does not matter, only the architecture does.
    ``threads``: torch intra-op threads while it runs (see :mod:`.threads`).
    """
    with torch_threads(threads):
        model = make_model(
            norm, n_layer, n_embd=n_embd, n_head=n_head, vocab_size=vocab_size,
            n_positions=max(128, seq_len), init=init, seed=seed,
        )
        return flow_of_model(model, norm=norm, init=init, seq_len=seq_len, batch_size=batch_size, seed=seed)


def flow_of_model(model: GPT2, *, norm: str, init: str, seq_len: int = 32, batch_size: int = 8,
                  seed: int = 0) -> FlowResult:
    """The measurement of :func:`gradient_flow` for a model built elsewhere (any blocks with
    ``attn`` and ``mlp.c_proj``); ``norm`` and ``init`` only label the result.
    """
    vocab_size, n_embd = model.cfg.vocab_size, model.cfg.n_embd
    gen = torch.Generator().manual_seed(seed + 1)
    idx = torch.randint(vocab_size, (batch_size, seq_len), generator=gen)  # (B, T)
    targets = torch.randint(vocab_size, (batch_size, seq_len), generator=gen)  # (B, T)
    outputs = {"hidden": [], "attn": [], "mlp": []}  # mean squared norm per token, / n_embd

    def recorder(kind):
        def record(_module, _inputs, output):
            outputs[kind].append(output.detach().pow(2).sum(-1).mean().item() / n_embd)

        return record

    # x_0 is the output of the embedding dropout (wte + wpe); x_l the output of block l.
    hooks = [model.drop.register_forward_hook(recorder("hidden"))]
    for block in model.h:
        hooks.append(block.register_forward_hook(recorder("hidden")))
        hooks.append(block.attn.register_forward_hook(recorder("attn")))
        hooks.append(block.mlp.register_forward_hook(recorder("mlp")))
    model.zero_grad(set_to_none=True)
    loss = lm_loss(model(idx), targets)
    for hook in hooks:
        hook.remove()
    loss.backward()

    return FlowResult(
        norm=norm,
        n_layer=len(model.h),
        init=init,
        grad_norms=[block.mlp.c_proj.weight.grad.norm().item() for block in model.h],
        block_grad_norms=[_grad_norm(block.parameters()) for block in model.h],
        hidden_norms=outputs["hidden"],
        attn_branch_norms=outputs["attn"],
        mlp_branch_norms=outputs["mlp"],
        loss=loss.item(),
    )


def depth_sweep(norm: str, depths=(6, 12, 24), **kw) -> list[FlowResult]:
    """:func:`gradient_flow` at each depth (same seed, so only the depth changes)."""
    return [gradient_flow(norm, L, **kw) for L in tqdm(depths, desc=f"{norm}-LN depth sweep", leave=False)]


def zero_residual_branches_(block: nn.Module) -> nn.Module:
    """Zero both ``c_proj`` layers (weights and biases): each sub-layer then outputs exactly 0."""
    with torch.no_grad():
        for proj in (block.attn.c_proj, block.mlp.c_proj):
            proj.weight.zero_()
            if proj.bias is not None:
                proj.bias.zero_()
    return block


def identity_jacobian_gap(block: nn.Module, x: torch.Tensor) -> float:
    """``||J - I||_F / ||I||_F`` for the Jacobian ``J`` of ``block`` at input ``x`` (B, T, C).

    A Pre-LN block is ``x + f(LN(x))``: with its residual branches switched off
    (:func:`zero_residual_branches_`) it is exactly the identity, gap 0.0. A Post-LN block
    with the same branches off is still ``LN(LN(x))``, which is not the identity: the
    gradient must pass through the LayerNorms, never around them.
    """
    n = x.numel()
    jac = torch.autograd.functional.jacobian(block, x, vectorize=True)  # (B, T, C, B, T, C)
    jac = jac.reshape(n, n)
    eye = torch.eye(n, dtype=jac.dtype)
    return ((jac - eye).norm() / eye.norm()).item()
