"""What every check needs to run a student's code: the test case, the small config, the call.

A check never calls student code directly. It builds the student's module with ``build``
and runs it with ``call`` (or ``forward``, for a module that must return one tensor), so
that whatever the student's code raises becomes a ``StudentCodeError``: ``graded`` turns
it into feedback ("your code raised an error: ...") instead of a traceback into the
course's own code. ``Case`` is one configuration a comparison runs, ``small_config`` the
tiny ``GPTConfig`` every check builds its modules from::

    from gpt2ln.grading.harness import Case, build, forward, graded, small_config

    @graded("MyBlock: properties", S.PRE_LN_BLOCK)
    def my_block_properties(MyBlock):
        block = build(MyBlock, small_config(8, 2))  # a crash in __init__ is reported as the student's
        y = forward(block, torch.randn(2, 5, 8), what="MyBlock")  # a tuple returned is said in words
        ...
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import GPTConfig
from .compare import IN_PLACE, StudentCodeError, not_a_tensor
from .report import graded

__all__ = ["Case", "StudentCodeError", "build", "call", "forward", "graded", "small_config"]


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
            raise AssertionError(IN_PLACE.format(what)) from None
        raise
    if any(not torch.equal(t.detach(), b) for t, b in zip(inputs, before, strict=True)):
        raise AssertionError(IN_PLACE.format(what))
    problem = not_a_tensor(result, what)
    if problem:
        raise AssertionError(problem)
    return result
