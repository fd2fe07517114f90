"""Checks of assignment 6: the learning-rate schedule (linear warmup, then cosine to a tenth).

The reference is ``gpt2ln.experiments.lr_at``, which the training runs of the notebook use.
"""

import math

from ..experiments import lr_at as reference_lr_at
from . import sections as S
from .harness import call, graded
from .i18n import _, lazy

# (base_lr, warmup_steps, total_steps), each checked at every step from 0 to total_steps + 10
VISIBLE = [(1e-3, 10, 100), (3e-3, 0, 50), (1e-2, 50, 300)]
HIDDEN = [(6e-4, 1, 20), (2e-2, 19, 20), (5e-4, 100, 1000)]


def _wrong_schedules():
    """What the usual slips compute, keyed by an explanation."""

    def cosine(step, base, warmup, total, floor=0.1, start=None):
        start = warmup if start is None else start
        p = min((step - start) / max(total - start, 1), 1.0)
        low = floor * base
        return low + (base - low) * 0.5 * (1 + math.cos(math.pi * p))

    def warm(step, base, warmup, total, after):
        return base * step / warmup if step < warmup else after(step, base, warmup, total)

    return {
        _("the warmup is off by one: it should be base_lr * step / warmup_steps, 0 at step 0"):
            lambda s, b, w, t: b * (s + 1) / w if s < w else cosine(s, b, w, t),
        _("the cosine decays to 0; it should end at min_lr = 0.1 * base_lr"):
            lambda s, b, w, t: warm(s, b, w, t, lambda s, b, w, t: cosine(s, b, w, t, floor=0.0)),
        _("there is no decay after the warmup; it should follow a cosine down to 0.1 * base_lr"):
            lambda s, b, w, t: warm(s, b, w, t, lambda s, b, w, t: b),
        _("the decay is linear; it should be the cosine (1 + cos(pi p)) / 2"):
            lambda s, b, w, t: warm(s, b, w, t, lambda s, b, w, t: b - 0.9 * b * min((s - w) / max(t - w, 1), 1)),
        _("the cosine's progress counts from step 0; it should be p = (step - warmup_steps) / (total_steps - "
          "warmup_steps)"):
            lambda s, b, w, t: warm(s, b, w, t, lambda s, b, w, t: cosine(s, b, w, t, start=0)),
        _("the cosine runs on past total_steps, so the rate rises again after total_steps; clamp the progress, p = "
          "min(p, 1), so that it stays at 0.1 * base_lr"):
            lambda s, b, w, t: warm(s, b, w, t, lambda s, b, w, t: 0.1 * b + 0.45 * b * (
                1 + math.cos(math.pi * (s - w) / max(t - w, 1)))),
    }


def _values(fn, base, warmup, total):
    return [call(lambda s: fn(s, base_lr=base, warmup_steps=warmup, total_steps=total), step)
            for step in range(total + 11)]


def _same(mine, expected):
    try:
        return all(math.isclose(float(a), b, rel_tol=1e-6, abs_tol=1e-12) for a, b in zip(mine, expected, strict=True))
    except (TypeError, ValueError):
        return False


def _check(lr_at, cases):
    for base, warmup, total in cases:
        mine = _values(lr_at, base, warmup, total)
        expected = [reference_lr_at(s, base_lr=base, warmup_steps=warmup, total_steps=total)
                    for s in range(total + 11)]
        if _same(mine, expected):
            continue
        step = next(s for s, (a, b) in enumerate(zip(mine, expected, strict=True))
                    if not _same([a], [b]))
        lines = [_("With base_lr={base:g}, warmup_steps={warmup}, total_steps={total}: at step {step} your schedule "
                   "gives {yours!r}, the reference {expected:.6g}.").format(base=base, warmup=warmup, total=total,
                                                                          step=step, yours=mine[step],
                                                                          expected=expected[step])]
        for explanation, schedule in _wrong_schedules().items():
            try:
                if _same(mine, [schedule(s, base, warmup, total) for s in range(total + 11)]):
                    lines.append(_("It looks as if {explanation}.").format(explanation=explanation))
                    break
            except ZeroDivisionError:
                continue
        lines.append(_("See {section}.").format(section=S.WARMUP))
        raise AssertionError("\n".join(lines))
    return _("every step of {n_cases} schedules matches").format(n_cases=len(cases))


@graded(lazy("lr_at: values"), S.WARMUP)
def schedule_values(lr_at):
    return _check(lr_at, VISIBLE)


@graded(lazy("lr_at: more schedules"), S.WARMUP)
def schedule_hidden(lr_at):
    return _check(lr_at, HIDDEN)


@graded(lazy("lr_at: properties"), S.WARMUP)
def schedule_properties(lr_at):
    base, warmup, total = 1e-3, 20, 200
    lrs = [float(v) for v in _values(lr_at, base, warmup, total)]
    assert lrs[0] == 0.0, _("With a warmup the first step's rate is 0 (base_lr * 0 / warmup_steps), got "
                            "{lrs:g}.").format(
        lrs=lrs[0])
    assert all(a < b for a, b in zip(lrs[:warmup], lrs[1 : warmup + 1], strict=True)), (
        _("During the warmup the rate must rise at every step."))
    assert math.isclose(lrs[warmup], base, rel_tol=1e-9), (
        _("At step warmup_steps the rate must reach base_lr ({base:g}), got {lrs:g}.").format(
            base=base, lrs=lrs[warmup]))
    assert all(a >= b for a, b in zip(lrs[warmup:total], lrs[warmup + 1 : total + 1], strict=True)), (
        _("After the warmup the rate must never rise."))
    rises = next((s for s in range(total, total + 10) if lrs[s + 1] > lrs[s] * (1 + 1e-9)), None)
    assert rises is None, (
        _("After total_steps ({total}) your rate rises again (step {rises}: {lrs:g}, step {value}: {lrs2:g}): "
          "the cosine runs on past its end. Clamp the progress at 1 so that the rate stays at min_lr = 0.1 * "
          "base_lr.").format(
              total=total, rises=rises, lrs=lrs[rises], value=rises + 1, lrs2=lrs[rises + 1]))
    assert all(math.isclose(v, 0.1 * base, rel_tol=1e-9) for v in lrs[total:]), (
        _("From total_steps on the rate stays at min_lr = 0.1 * base_lr ({value:g}); got {lrs}.").format(
            value=0.1 * base, lrs=lrs[total:total + 3]))
    no_warmup = call(lambda: lr_at(0, base_lr=base, warmup_steps=0, total_steps=total))
    assert math.isclose(float(no_warmup), base, rel_tol=1e-9), (
        _("warmup_steps=0 means no warmup: step 0 already uses base_lr, got {no_warmup!r}.").format(
            no_warmup=no_warmup))
    try:
        lr_at(5, base, warmup, total)
    except Exception:  # noqa: BLE001, S110 (refusing positional arguments is the point)
        pass
    else:
        raise AssertionError(_("Your lr_at accepts base_lr, warmup_steps and total_steps as positional arguments; "
                               "they are keyword-only, as the given signature says: `def lr_at(step, *, base_lr, "
                               "warmup_steps, total_steps)`, so that a call can never swap two of them."))
    return _("starts at 0, rises to base_lr, never rises after, ends at a tenth; no warmup works; keyword-only")
