"""Black-box blocks and the measurements that tell what they are (assignment 7, ``07_diagnose``).

A :class:`BlackBox` is a transformer block you can run, differentiate and switch the
branches of, but not read: its class and source are hidden behind an opaque wrapper. Some
are the course's own blocks, some the misconceptions of chapter 5 (built by
:mod:`.mistakes`), some real layers no one on this course wrote, PyTorch's
``nn.TransformerEncoderLayer`` with ``norm_first=False`` (Post-LN, its default) and
``norm_first=True`` (Pre-LN), made causal. Three measurements say what a block is:

* :func:`identity_gap`, ``||J - I||_F / ||I||_F`` with every residual branch switched off
  (its output layer zeroed): 0 when the shortcut is a clean identity (Pre-LN), 1 when no
  gradient flows along it (a detached shortcut), in between when a LayerNorm sits on it;
* :func:`stream_sizes`, the mean ``||x_l||^2 / d`` along a stack: it grows in Pre-LN, is
  pinned at 1 when every block ends in a LayerNorm (Post-LN), and comes out the same for
  an input three times larger when a block sees only ``ln(x)`` (Misconception 1);
* :func:`gradient_ratio`, the last block's branch-weight gradient over the first's, under a
  final LayerNorm: about 0.5 in Pre-LN, about 1 in Post-LN, astronomically large when the
  shortcut carries no gradient (it reaches the first block only through the branches).

:func:`classify` combines them into one of :data:`LABELS` (the rules of the assignment).
Black boxes are initialised as Xiong et al. (2020) measure (Xavier weights, zero biases,
LayerNorm gains 1 and biases 0); PyTorch's layers keep PyTorch's own initialisation.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..blocks import PostLNBlock, PreLNBlock
from ..config import GPTConfig
from ..experiments.gradient_flow import identity_jacobian_gap
from .i18n import Text, _, lazy
from .mistakes import MISTAKES

LABELS = ("pre_ln", "post_ln", "misconception_1", "misconception_3", "detached_shortcut")

# Thresholds of the rules (measured over widths 32-64 and seeds 0-9: see tests/test_diagnose.py).
CLEAN_GAP = 1e-3  # identity gap below this: the shortcut is exactly the identity
DEAD_GAP = 0.99  # identity gap above this: the Jacobian is 0, no gradient along the shortcut
VANISHED = 1e3  # gradient ratio last/first above this: the gradient does not reach the first block
PINNED = 1e-3  # every ||x_l||^2 / d within this of 1: every block ends in a LayerNorm
SCALE_BLIND = 1e-3  # relative change of the stream sizes when the input is 3x larger


class BlackBox(nn.Module):
    """A block (B, T, C) -> (B, T, C) whose class and source are hidden.

    What it offers is what a student may use: ``block(x)``, ``n_embd``, ``parameters()`` (for
    gradients) and ``branch_outputs()``, the layers that end its residual branches (the
    attention's and the MLP's output projections, in that order): zero their weights and
    biases and every branch outputs 0. The block itself lives only in closures: no attribute,
    submodule or parameter name of a box says which kind it is.
    """

    def __init__(self, inner: nn.Module, branch_names: list[str], n_embd: int):
        super().__init__()
        modules = dict(inner.named_modules())
        branches = [modules[name] for name in branch_names]
        self.n_embd = n_embd
        self._run = lambda x: inner(x)
        self._params = lambda: list(inner.parameters())
        self._branches = lambda: list(branches)
        self._copy = lambda memo: BlackBox(copy.deepcopy(inner, memo), branch_names, n_embd)

    def branch_outputs(self) -> list[nn.Linear]:
        return self._branches()

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from ((f"{prefix}{i}", p) for i, p in enumerate(self._params()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)  # (B, T, C) -> (B, T, C)

    def __deepcopy__(self, memo) -> "BlackBox":
        return self._copy(memo)

    def __repr__(self) -> str:
        return f"BlackBox(n_embd={self.n_embd})"


class CausalEncoderLayer(nn.Module):
    """PyTorch's ``nn.TransformerEncoderLayer`` with a causal mask, batch first, dropout off."""

    def __init__(self, n_embd: int, n_head: int, norm_first: bool):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(n_embd, n_head, dim_feedforward=4 * n_embd, dropout=0.0,
                                                activation="gelu", batch_first=True, norm_first=norm_first)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device, dtype=x.dtype)  # (T, T)
        return self.layer(x, src_mask=mask, is_causal=True)  # (B, T, C)


def _xavier_(block: nn.Module) -> nn.Module:
    for module in block.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return block


def _course_block(build: Callable[[GPTConfig], nn.Module]) -> Callable[[int, int], tuple[nn.Module, list[str]]]:
    def make(n_embd: int, n_head: int):
        block = _xavier_(build(GPTConfig(n_embd=n_embd, n_head=n_head, n_layer=1, vocab_size=64, n_positions=64)))
        return block, ["attn.c_proj", "mlp.c_proj"]

    return make


def _mistake(key: str):
    return _course_block(lambda cfg: MISTAKES[key].build(cfg))


def _torch_layer(norm_first: bool):
    def make(n_embd: int, n_head: int):
        block = CausalEncoderLayer(n_embd, n_head, norm_first)
        attn, linear = block.layer.self_attn, nn.Linear(n_embd, n_embd)  # a plain nn.Linear, as the course's
        linear.weight, linear.bias = attn.out_proj.weight, attn.out_proj.bias
        attn.out_proj = linear
        return block, ["layer.self_attn.out_proj", "layer.linear2"]

    return make


@dataclass(frozen=True)
class Kind:
    """One kind of black box: what it is (revealed in feedback), its label, how to build one."""

    key: str
    label: str  # the answer classify must give
    what: Text  # the block in words
    make: Callable[[int, int], tuple[nn.Module, list[str]]]  # (n_embd, n_head) -> (block, branch-output names)


KINDS = {k.key: k for k in (
    Kind("pre_ln", "pre_ln", lazy("the course's Pre-LN block (GPT-2), x = x + f(ln(x))"), _course_block(PreLNBlock)),
    Kind("post_ln", "post_ln", lazy("the course's Post-LN block, x = ln(x + f(x))"), _course_block(PostLNBlock)),
    Kind("misconception_1", "misconception_1", lazy("Misconception 1: h = ln(x); x = h + f(h)"),
         lambda d, h: _mistake("residual_after_ln")(d, h)),
    Kind("misconception_2", "post_ln",
         lazy("Misconception 2: a Post-LN block, x = ln(x + f(x)), handed in where Pre-LN was asked"),
         lambda d, h: _mistake("post_ln_instead_of_pre_ln")(d, h)),
    Kind("misconception_3", "misconception_3", lazy("Misconception 3: the LayerNorm on the shortcut, x = ln(x) + f(x)"),
         lambda d, h: _mistake("ln_on_shortcut")(d, h)),
    Kind("detached_shortcut", "detached_shortcut", lazy("a Pre-LN block whose shortcut is detached, x.detach() + "
                                                        "f(ln(x))"),
         lambda d, h: _mistake("detached_shortcut")(d, h)),
    Kind("torch_post_ln", "post_ln", lazy("PyTorch's nn.TransformerEncoderLayer(norm_first=False), its default"),
         _torch_layer(False)),
    Kind("torch_pre_ln", "pre_ln", lazy("PyTorch's nn.TransformerEncoderLayer(norm_first=True)"), _torch_layer(True)),
    # not graded: from outside a stack it *is* Post-LN (once the stream is normalised, ln(x) = x)
    Kind("normalised_stream", "post_ln", lazy("Misconception 3 as ln(x + f(ln(x))), the stream normalised after the "
                                              "add"),
         lambda d, h: _mistake("normalised_stream")(d, h)),
)}


class BlockMaker:
    """``make_block(i)``: the i-th fresh black box of one hidden kind (independent weights for each i).

    It knows its kind (``label``, ``reveal()``) for the grader's feedback; what a student's
    ``classify`` receives is :meth:`hidden`, a plain function that knows nothing else.
    """

    def __init__(self, kind: str, n_embd: int = 32, n_head: int = 4, seed: int = 0):
        self._kind, self.n_embd, self.n_head, self.seed = KINDS[kind], n_embd, n_head, seed

    def __call__(self, i: int = 0) -> BlackBox:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(10_000 * self.seed + i)
            inner, names = self._kind.make(self.n_embd, self.n_head)
        inner.eval()
        return BlackBox(inner, names, self.n_embd)

    def hidden(self) -> Callable[[int], BlackBox]:
        """``make_block``: the same boxes, from a function with no attribute that names the kind."""
        build = self.__call__

        def make_block(i: int = 0) -> BlackBox:
            return build(i)

        return make_block

    @property
    def label(self) -> str:
        return self._kind.label

    @property
    def kind(self) -> str:
        return self._kind.key

    def reveal(self) -> str:
        """What the block really is, in the current language (for feedback, after the answer is given)."""
        return str(self._kind.what)

    def __repr__(self) -> str:
        return f"make_block(n_embd={self.n_embd})"


# The notebook's five practice boxes: one of each label, in an order that says nothing.
PRACTICE = {"A": "misconception_3", "B": "pre_ln", "C": "detached_shortcut", "D": "post_ln", "E": "misconception_1"}


def practice_boxes(n_embd: int = 32, n_head: int = 4, seed: int = 0) -> dict[str, Callable[[int], BlackBox]]:
    """``{"A": make_block, ..., "E": make_block}``: the black boxes the notebook practises on."""
    return {name: BlockMaker(kind, n_embd, n_head, seed).hidden() for name, kind in PRACTICE.items()}


# --------------------------------------------------------------------------- the reference measurements


def branches_off(block: BlackBox) -> BlackBox:
    """A copy of ``block`` whose residual branches output 0 (every branch output's weight and bias zeroed)."""
    block = copy.deepcopy(block)
    with torch.no_grad():
        for layer in block.branch_outputs():
            layer.weight.zero_()
            if layer.bias is not None:
                layer.bias.zero_()
    return block


def identity_gap(block: BlackBox, x: torch.Tensor) -> float:
    """``||J - I||_F / ||I||_F`` of ``block`` at ``x`` with every residual branch switched off (on a copy)."""
    return identity_jacobian_gap(branches_off(block), x)


def stream_sizes(blocks: list[BlackBox], x: torch.Tensor) -> list[float]:
    """Mean over tokens of ``||x_l||^2 / d`` for ``l = 0 .. L`` (``x_0 = x``, ``x_l`` = output of block l)."""
    sizes = [x.pow(2).sum(-1).mean().item() / x.shape[-1]]
    with torch.no_grad():
        for block in blocks:
            x = block(x)
            sizes.append(x.pow(2).sum(-1).mean().item() / x.shape[-1])
    return sizes


def gradient_ratio(blocks: list[BlackBox], x: torch.Tensor, probe: torch.Tensor) -> float:
    """``||dL/dW_last|| / ||dL/dW_first||``, ``W_l`` the last branch output's weight of block l.

    The loss is ``(layer_norm(x_L) * probe).sum()``: a final LayerNorm without gain or bias, as
    GPT-2's ``ln_f`` at initialisation, then a fixed random direction. A detached shortcut
    gives a huge ratio (the gradient reaches the first block only through the branches);
    ``inf`` only when the first block's gradient is exactly 0.
    """
    weights = [block.branch_outputs()[-1].weight for block in blocks]
    for block in blocks:
        block.zero_grad(set_to_none=True)
    h = x
    for block in blocks:
        h = block(h)
    loss = (F.layer_norm(h, h.shape[-1:]) * probe).sum()
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    first, last = (g.norm().item() if g is not None else 0.0 for g in (grads[0], grads[-1]))
    return last / first if first > 0 else float("inf")


@dataclass
class Measurements:
    """Everything :func:`classify` looks at, for one kind of block."""

    gap: float
    sizes: list[float]  # from x
    sizes_3x: list[float]  # from 3 x
    ratio: float

    @property
    def pinned(self) -> bool:
        return all(abs(s - 1) < PINNED for s in self.sizes[1:])

    @property
    def scale_blind(self) -> bool:
        return all(abs(a - b) <= SCALE_BLIND * b for a, b in zip(self.sizes_3x[1:], self.sizes[1:], strict=True))

    def __str__(self) -> str:
        return _("identity gap {gap:.3g}; stream ||x_l||^2/d from {first:.3g} to {last:.3g} over {blocks} blocks "
                 "(from 3x the input: {first_3x:.3g} after block 1 against {first_block:.3g}); gradient ratio "
                 "last/first {ratio:.3g}").format(
                     gap=self.gap, first=self.sizes[0], last=self.sizes[-1], blocks=len(self.sizes) - 1,
                     first_3x=self.sizes_3x[1], first_block=self.sizes[1], ratio=self.ratio)


def probe_inputs(n_embd: int, seed: int = 0, batch: int = 2, seq_len: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, probe), both (batch, seq_len, n_embd), N(0, 1), seeded."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, seq_len, n_embd, generator=g), torch.randn(batch, seq_len, n_embd, generator=g)


def measure(make_block: Callable[[int], BlackBox], n_layer: int = 8) -> Measurements:
    """The three measurements of :func:`classify`, on fresh blocks from ``make_block``."""
    first = make_block(0)
    x, probe = probe_inputs(first.n_embd)
    stack = [make_block(i) for i in range(n_layer)]
    return Measurements(gap=identity_gap(first, x[:1, :4]), sizes=stream_sizes(stack, x),
                        sizes_3x=stream_sizes(stack, 3 * x), ratio=gradient_ratio(stack, x, probe))


def classify(make_block: Callable[[int], BlackBox]) -> str:
    """The rules of assignment 7, in order: one of :data:`LABELS`."""
    m = measure(make_block)
    if m.ratio > VANISHED or m.gap > DEAD_GAP:
        return "detached_shortcut"
    if m.gap < CLEAN_GAP:
        return "pre_ln"
    if m.pinned:
        return "post_ln"
    if m.scale_blind:
        return "misconception_1"
    return "misconception_3"


__all__ = [
    "LABELS", "PRACTICE", "practice_boxes", "BlackBox", "BlockMaker", "CausalEncoderLayer", "KINDS", "Kind",
    "Measurements",
    "branches_off", "identity_gap", "stream_sizes", "gradient_ratio", "probe_inputs", "measure", "classify",
]
