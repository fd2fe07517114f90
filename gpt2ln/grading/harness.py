"""What every check needs to run a student's code: the test case, the small config, the call.

A check never calls student code directly. It builds the student's module with ``build``
and runs it with ``call`` (or ``forward``, for a module that must return one tensor, or
``repeatable``, which runs it twice and wants the same output in eval mode), so
that whatever the student's code raises becomes a ``StudentCodeError``: ``graded`` turns
it into feedback ("your code raised an error: ...") instead of a traceback into the
course's own code. ``Case`` is one configuration a comparison runs, ``small_config`` the
tiny ``GPTConfig`` every check builds its modules from::

    from gpt2ln.grading.harness import Case, build, forward, graded, repeatable, small_config

    @graded("MyBlock: properties", S.PRE_LN_BLOCK)
    def my_block_properties(MyBlock):
        block = build(MyBlock, small_config(8, 2))  # a crash in __init__ is reported as the student's
        y = forward(block, torch.randn(2, 5, 8), what="MyBlock")  # a tuple returned is said in words
        y = repeatable(block.eval(), torch.randn(2, 5, 8), what="MyBlock")  # twice: must agree in eval mode
        ...
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import GPTConfig
from .compare import StudentCodeError, in_place, not_a_tensor
from .i18n import _, lazy
from .report import graded

__all__ = ["Case", "StudentCodeError", "build", "call", "forward", "graded", "random_in_eval", "repeatable",
           "small_config"]


@dataclass
class Case:
    """One configuration to test: constructor arguments and a seeded input.

    ``train`` runs both modules in training mode (dropout on) with the same random stream,
    for the cases whose config has ``dropout > 0``.
    """

    label: str
    args: tuple  # passed to the class (or nothing, for a function)
    make_input: Callable[[torch.Generator], torch.Tensor]
    dtype: torch.dtype = torch.float32
    seed: int = 0
    train: bool = False

    def inputs(self) -> list[torch.Tensor]:
        """The case's input, in its dtype (token ids stay integers); the same on every call."""
        x = self.make_input(torch.Generator().manual_seed(self.seed + 1))
        return [x.to(self.dtype) if x.is_floating_point() else x]


def small_config(n_embd: int, n_head: int, **overrides) -> GPTConfig:
    """A ``GPTConfig`` small enough for a check: one layer, 64 tokens, 32 positions unless overridden."""
    fields = dict(n_layer=1, vocab_size=64, n_positions=32) | overrides
    return GPTConfig(n_embd=n_embd, n_head=n_head, **fields)


def call(fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)``; whatever student code raises becomes a ``StudentCodeError``."""
    try:
        return fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 (any error in student code becomes feedback)
        raise StudentCodeError(f"{type(err).__name__}: {err}") from err


def build(factory: Callable, *args):
    """The student's module (or object) ``factory(*args)``; a crash in its ``__init__`` is reported."""
    return call(factory, *args)


def forward(module: Callable, *inputs, what: str) -> torch.Tensor:
    """``module(*inputs)``, which must be one tensor and leave its inputs alone; else an ``AssertionError``."""
    before = [t.detach().clone() for t in inputs]
    try:
        result = call(module, *inputs)
    except StudentCodeError as err:
        if "in-place operation" in str(err):
            raise AssertionError(in_place(what)) from None
        raise
    if any(not torch.equal(t.detach(), b) for t, b in zip(inputs, before, strict=True)):
        raise AssertionError(in_place(what))
    problem = not_a_tensor(result, what)
    if problem:
        raise AssertionError(problem)
    return result


_BLOCK_DROPOUT = lazy("A block adds no dropout of its own: its sub-layers end in theirs.")
OWN_DROPOUT = {  # where the dropouts of a module that owns no nn.Dropout of its own live
    "PreLNBlock": _BLOCK_DROPOUT,
    "PostLNBlock": _BLOCK_DROPOUT,
    "GPT2": lazy("GPT2's own dropout is `drop`, on the embeddings; its blocks add none of their own."),
}


def random_in_eval(what: str) -> str:
    """The message for a module whose output changes from one call to the next in eval mode."""
    message = _("Your {what} gives different outputs for the same input in eval mode: something random runs when it "
                "should not, usually dropout applied with F.dropout(...) (whose training=True by default) or a "
                "dropout the module creates on the fly. Use the module's nn.Dropout, which eval() switches off."
                ).format(what=what)
    return _("{message} {more}").format(message=message, more=OWN_DROPOUT[what]) if what in OWN_DROPOUT else message


def repeatable(module: Callable, *inputs, what: str) -> torch.Tensor:
    """``forward`` twice on the same inputs (a module in eval mode), which must agree; returns the output.

    Run before any property that compares two calls (causal, position-wise): a random
    output would fail it for a reason its message does not name.
    """
    with torch.random.fork_rng(devices=[]):
        first = forward(module, *inputs, what=what)
        second = forward(module, *inputs, what=what)
    if first.shape != second.shape or not torch.allclose(first, second, atol=1e-6, equal_nan=True):
        raise AssertionError(random_in_eval(what))
    return first
