"""The two places a LayerNorm can go: Pre-LN (GPT-2) and Post-LN (the 2017 Transformer).

Both blocks own the same four modules (``ln_1``, ``attn``, ``ln_2``, ``mlp``) and differ
only in where the shortcut starts:

    Pre-LN:   x = x + attn(ln_1(x))          shortcut from the block's input x (the input of
                                             the residual branch), before ln_1
              x = x + mlp(ln_2(x))
    Post-LN:  x = ln_1(x + attn(x))          every path, shortcut included, goes through LN
              x = ln_2(x + mlp(x))

In Pre-LN the residual stream is never normalised, so the block is the identity plus a
correction and gradients reach early layers undamped; in Post-LN each LayerNorm sits on
the stream and rescales every gradient that passes (Xiong et al. 2020).
"""

import torch
import torch.nn as nn

from .attention import CausalSelfAttention, KVCache
from .config import GPTConfig
from .layers import MLP, LayerNorm


class _Block(nn.Module):
    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__()
        self.ln_1 = LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon, bias=cfg.bias, fast=fast)
        self.attn = CausalSelfAttention(cfg, fast=fast)
        self.ln_2 = LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon, bias=cfg.bias, fast=fast)
        self.mlp = MLP(cfg, fast=fast)


class PreLNBlock(_Block):
    """GPT-2's block: normalise a copy of the stream for each sub-layer, add the result back."""

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        # (B, T, C) -> (B, T, C)
        x = x + self.attn(self.ln_1(x), cache)
        x = x + self.mlp(self.ln_2(x))
        return x


class PostLNBlock(_Block):
    """The original Transformer's block: add first, then normalise the sum."""

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        # (B, T, C) -> (B, T, C)
        x = self.ln_1(x + self.attn(x, cache))
        x = self.ln_2(x + self.mlp(x))
        return x
