"""The experiments the book (chapters 4 to 8) and the notebooks 05_gradient_flow and 06_warmup run.

* :mod:`.gradient_flow`: gradient and hidden-state norms of deep Pre-LN and Post-LN stacks
  at initialisation (Xiong et al. 2020).
* :mod:`.warmup`: short training runs showing that Post-LN needs learning-rate warmup.
* :mod:`.beyond`: the variants of chapter 8 (DeepNorm, Peri-LN, Mix-LN, NormFormer, LayerNorm Scaling).
"""

from .gradient_flow import (
    FlowResult,
    depth_sweep,
    flow_of_model,
    gradient_flow,
    identity_jacobian_gap,
    lemma2_bounds,
    lemma2_setting,
    make_model,
    xavier_init_,
    zero_residual_branches_,
)
from .warmup import DEFAULTS, LR, QUICK, WARMUP_STEPS, TrainResult, compare, lr_at, train, unigram_loss

__all__ = [
    "make_model",
    "xavier_init_",
    "FlowResult",
    "gradient_flow",
    "flow_of_model",
    "depth_sweep",
    "identity_jacobian_gap",
    "zero_residual_branches_",
    "lemma2_bounds",
    "lemma2_setting",
    "lr_at",
    "TrainResult",
    "train",
    "compare",
    "unigram_loss",
    "DEFAULTS",
    "QUICK",
    "LR",
    "WARMUP_STEPS",
]
