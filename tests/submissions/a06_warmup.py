"""Submissions of 06_warmup (few: every one runs the notebook's training cells)."""

from nbgrader_helpers import Submission

WARMUP = "return base_lr * step / warmup_steps"

WRONG = {
    "warmup_off_by_one": Submission(
        patches={"schedule": [(WARMUP, "return base_lr * (step + 1) / warmup_steps")]},
        expect="the warmup is off by one"),
    "decays_to_zero": Submission(
        patches={"schedule": [("min_lr = 0.1 * base_lr", "min_lr = 0.0")]},
        expect="the cosine decays to 0"),
    # issue 12: a cosine that runs on past total_steps; positional arguments accepted
    "rises_after_total_steps": Submission(
        patches={"schedule": [("progress = min((step - warmup_steps) / max(total_steps - warmup_steps, 1), 1.0)",
                               "progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)")]},
        expect="rises again after total_steps"),
    "positional_arguments": Submission(
        patches={"schedule": [("def lr_at(step, *, base_lr", "def lr_at(step, base_lr")]},
        expect="keyword-only"),
}

RIGHT = {
    "piecewise_with_numpy": Submission(
        answers={"schedule": '''
import numpy as np

def lr_at(step, *, base_lr, warmup_steps, total_steps):
    if warmup_steps and step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return base_lr / 10
    p = (step - warmup_steps) / (total_steps - warmup_steps)
    return float(base_lr / 10 + 0.45 * base_lr * (1 + np.cos(np.pi * p)))
'''},
        note="explicit branches, numpy's cos"),
}
