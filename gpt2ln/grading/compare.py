"""Run a student's module and the reference on the same weights and inputs, and compare.

Every check in the course follows the same three steps:

1. ``randomise`` the reference's parameters (LayerNorm gains and biases included: at their
   initial values 1 and 0 they would hide a swapped or missing one),
2. ``copy_weights`` into the student's module *by name*, so a misnamed attribute is reported
   as such instead of as a wrong number,
3. ``run`` both on the same inputs, back-propagate the same random projection of the
   output, and ``compare`` the outputs and every gradient.

Comparing gradients is what catches bugs the forward pass cannot see: a shortcut that is
``.detach()``-ed or a LayerNorm computed under ``torch.no_grad()`` gives the right numbers
forwards and the wrong training signal backwards.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from .i18n import _


class StudentCodeError(Exception):
    """The student's code raised while being built or run; the message says where."""


@dataclass
class Run:
    """What one module did on one input: its output and the gradient of every tensor that matters."""

    output: torch.Tensor
    grads: dict[str, torch.Tensor | None] = field(default_factory=dict)  # "input" and parameter names


@dataclass
class Mismatch:
    where: str  # "the output", "the gradient of the input", "the gradient of ln_1.weight"
    detail: str  # what differs, in numbers

    def __str__(self) -> str:
        return _("{where}: {detail}").format(where=self.where, detail=self.detail)


# (rtol, atol relative to the largest reference value) per dtype: loose enough for correct code
# written another way (fused kernels, other variance formulas), tight enough for a 1e-4 GELU error.
TOLERANCES = {torch.float32: (2e-4, 2e-5), torch.float64: (1e-9, 1e-11)}


def randomise(module: nn.Module, seed: int = 0) -> nn.Module:
    """Give every parameter a generic random value, the same for a given seed and name set.

    Matrices get N(0, 1/fan_in) so activations stay O(1); LayerNorm gains 1 + N(0, 0.3^2) and
    biases N(0, 0.3^2), so that a forgotten, swapped or shared LayerNorm changes the result.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters(), key=lambda item: item[0]):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float64).to(p.dtype)
            if p.dim() >= 2:
                p.copy_(noise / p.shape[-1] ** 0.5)
            elif name.endswith("weight"):
                p.copy_(1 + 0.3 * noise)
            else:
                p.copy_(0.3 * noise)
    return module


def copy_weights(source: nn.Module, target: nn.Module, what: str) -> None:
    """Copy ``source``'s parameters into ``target`` by name; an ``AssertionError`` names any mismatch.

    Extra *buffers* in ``target`` (a registered causal mask, say) are allowed; extra
    *parameters* are not, since they would change the result without being checked.
    """
    expected = dict(source.named_parameters(remove_duplicate=False))
    found = dict(target.named_parameters(remove_duplicate=False))
    missing = [n for n in expected if n not in found]
    unexpected = [n for n in found if n not in expected]
    plain = [n for n in missing if isinstance(_attribute(target, n), torch.Tensor)]
    if plain and len(plain) == len(missing) and not unexpected:
        raise AssertionError(_(
            "Your {what} has {names}, but as plain tensors, not nn.Parameter: wrap each in `nn.Parameter(...)` so "
            "that it is trained, moved and saved with the module.").format(what=what, names=_names(plain)))
    if missing or unexpected:
        lines = [_("The parameters of your {what} do not have the names the course uses.").format(what=what)]
        if missing:
            lines.append(_("Missing: {names}.").format(names=_names(missing)))
            attributes = sorted({n.split(".")[0] for n in missing if n.split(".")[0] not in _top_names(found)})
            if attributes:
                lines.append(_("Your module has no attribute {names}.").format(names=_names(attributes)))
        if unexpected:
            lines.append(_("Not expected: {names}.").format(names=_names(unexpected)))
        lines.append(_("Use exactly the attribute names of the contract (they are the Hugging Face GPT-2 names), "
                       "so that pretrained weights load by name."))
        raise AssertionError("\n".join(lines))
    for name, p in expected.items():
        if found[name].shape != p.shape:
            raise AssertionError(_("In your {what}, `{name}` has shape {shape}; it should be {expected}.").format(
                what=what, name=name, shape=tuple(found[name].shape), expected=tuple(p.shape)))
    with torch.no_grad():
        for name, p in expected.items():
            found[name].copy_(p)


def _attribute(module: nn.Module, dotted: str):
    """``module.a.b.c`` for "a.b.c", or None."""
    for part in dotted.split("."):
        module = getattr(module, part, None)
    return module


def _names(names) -> str:
    """"`ln_1.weight`, `ln_1.bias`": names as code, in a list."""
    return _(", ").join(f"`{n}`" for n in names)


def _top_names(params: dict) -> set[str]:
    return {n.split(".")[0] for n in params}


def not_a_tensor(result, what: str) -> str | None:
    """The message for a forward that returned something else than one tensor (None when it is one)."""
    if isinstance(result, torch.Tensor):
        return None
    if isinstance(result, tuple | list):
        kinds = ", ".join(type(r).__name__ for r in result)
        return _("Your {what} returned a {kind} ({kinds}), not a tensor: it must return only its output tensor (no "
                 "extra values such as attention weights or a cache).").format(
            what=what, kind=type(result).__name__, kinds=kinds)
    return _("Your {what} returned {kind}, not a tensor: did it forget `return`?").format(
        what=what, kind=type(result).__name__)


def in_place(what: str) -> str:
    """The message for a module that changed its input in place."""
    return _("Your {what} changed its input in place (an in-place operation such as `x += ...` or `x.add_(...)` "
             "writes into the caller's tensor, and autograd cannot differentiate through an overwritten input): "
             "write `x = x + ...`, which makes a new tensor.").format(what=what)


def probe_like(output: torch.Tensor, seed: int) -> torch.Tensor:
    """A fixed random direction: the loss (output * probe).sum() has a generic gradient."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(output.shape, generator=g, dtype=torch.float64).to(output.dtype)


def run(fn: Callable, inputs: Sequence[torch.Tensor], module: nn.Module | None = None, seed: int = 1234,
        backward: bool = True, what: str = "code") -> Run:
    """Call ``fn(*inputs)``, back-propagate a random projection of the result, collect gradients.

    Floating-point inputs are cloned and made to require gradients ("input" is the first one's);
    ``module``'s parameters (``fn`` itself when it is a module) are reported by name.
    Exceptions from ``fn`` become a ``StudentCodeError`` carrying the original message; a result
    that is not one tensor (a tuple, None) an ``AssertionError`` that says so about ``what``.
    """
    module = module if module is not None else (fn if isinstance(fn, nn.Module) else None)
    inputs = [t.detach().clone().requires_grad_(t.is_floating_point() and backward) for t in inputs]
    if module is not None:
        module.zero_grad(set_to_none=True)
    before = [t.detach().clone() for t in inputs]
    try:
        output = fn(*inputs)
    except Exception as err:  # noqa: BLE001 (any error in student code becomes feedback)
        if "in-place operation" in str(err):
            raise AssertionError(in_place(what)) from None
        raise StudentCodeError(f"{type(err).__name__}: {err}") from err
    if any(not torch.equal(t.detach(), b) for t, b in zip(inputs, before, strict=True)):
        raise AssertionError(in_place(what))
    problem = not_a_tensor(output, what)
    if problem:
        raise AssertionError(problem)
    result = Run(output.detach())
    if not backward:
        return result
    if output.requires_grad and output.is_floating_point():
        try:
            (output * probe_like(output, seed)).sum().backward()
        except Exception as err:  # noqa: BLE001
            raise StudentCodeError(_("the backward pass failed: {error}").format(
                error=f"{type(err).__name__}: {err}")) from err
    if inputs and inputs[0].is_floating_point():
        result.grads["input"] = inputs[0].grad
    if module is not None:
        for name, p in module.named_parameters():
            result.grads[name] = p.grad
    return result


def _close(actual: torch.Tensor, expected: torch.Tensor) -> bool:
    rtol, atol = TOLERANCES.get(expected.dtype, TOLERANCES[torch.float32])
    scale = expected.abs().nan_to_num(0, 0, 0).max().item() if expected.numel() else 0.0
    return torch.allclose(actual.to(expected.dtype), expected, rtol=rtol, atol=atol * max(scale, 1e-3),
                          equal_nan=True)


def describe_difference(actual: torch.Tensor, expected: torch.Tensor) -> str:
    """Where and by how much two tensors of the same shape differ."""
    if torch.isnan(actual).any() and not torch.isnan(expected).any():
        return _("yours contains NaN at {count} of {total} positions").format(
            count=int(torch.isnan(actual).sum()), total=actual.numel())
    diff = (actual.to(expected.dtype) - expected).abs().nan_to_num(float("inf"))
    worst = diff.argmax().item()
    index, rest = [], worst
    for size in reversed(diff.shape):  # flat index -> (i, j, ...)
        index.insert(0, rest % size)
        rest //= size
    index = tuple(index)
    return _("largest difference {difference:.3g} at index {index} (yours {yours:.6g}, expected {expected:.6g})"
             ).format(difference=diff.max().item(), index=index, yours=actual.flatten()[worst].item(),
        expected=expected.flatten()[worst].item())


def compare(actual: Run, expected: Run, gradients: bool = True) -> list[Mismatch]:
    """Every place where ``actual`` differs from ``expected``, the output first."""
    if actual.output.shape != expected.output.shape:
        return [Mismatch(_("the output"), _("shape {shape}, expected {expected}").format(
            shape=tuple(actual.output.shape), expected=tuple(expected.output.shape)))]
    if not _close(actual.output, expected.output):
        return [Mismatch(_("the output"), describe_difference(actual.output, expected.output))]
    if not gradients:
        return []
    problems = []
    for name, want in expected.grads.items():
        where = _("the gradient of the input") if name == "input" else _("the gradient of `{name}`").format(name=name)
        got = actual.grads.get(name)
        if want is None:
            continue
        if got is None:
            problems.append(Mismatch(where, _("no gradient reached it (is it computed under torch.no_grad() or "
                                              "cut off with .detach()?)")))
        elif got.shape != want.shape:
            problems.append(Mismatch(where, _("shape {shape}, expected {expected}").format(
                shape=tuple(got.shape), expected=tuple(want.shape))))
        elif not _close(got, want):
            problems.append(Mismatch(where, describe_difference(got, want)))
    return problems


def matches(actual: Run, expected: Run, gradients: bool = True) -> bool:
    return not compare(actual, expected, gradients)
