"""The position-wise pieces of a GPT-2 block: LayerNorm, the tanh GELU and the MLP.

Each is written out instead of calling ``nn.LayerNorm`` / ``F.gelu`` so that the maths a
student implements is the maths on the page; tests check they equal PyTorch's versions.
``fast=True`` swaps in those fused PyTorch kernels (same maths, fewer memory passes).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import GPTConfig


class LayerNorm(nn.Module):
    """Normalise each token's vector to zero mean and unit variance, then scale and shift.

    Statistics are taken over the last dimension only (one token at a time), with the
    *biased* variance (divide by n, as ``nn.LayerNorm`` does) and ``eps`` inside the
    square root, so a row of near-constant values is divided by about ``sqrt(eps)``
    instead of by zero.
    """

    def __init__(self, n_embd: int, eps: float = 1e-5, bias: bool = True, fast: bool = False):
        super().__init__()
        self.eps, self.fast = eps, fast
        self.weight = nn.Parameter(torch.ones(n_embd))  # gain, starts as identity
        self.bias = nn.Parameter(torch.zeros(n_embd)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fast:
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)
        mean = x.mean(dim=-1, keepdim=True)  # (..., 1)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # (..., 1), biased
        x_hat = (x - mean) / torch.sqrt(var + self.eps)  # (..., n_embd)
        y = x_hat * self.weight
        return y + self.bias if self.bias is not None else y


def gelu(x: torch.Tensor) -> torch.Tensor:
    """GELU with the tanh approximation that GPT-2 was trained with ("gelu_new" in HF).

    The exact GELU, x * Phi(x), differs from it by up to about 1e-3: small, but enough
    that pretrained logits no longer match.
    """
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class MLP(nn.Module):
    """The feed-forward sub-layer: widen 4x, GELU, project back (then dropout)."""

    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__()
        self.fast = fast
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c_fc(x)  # (B, T, 4 * n_embd)
        h = F.gelu(h, approximate="tanh") if self.fast else gelu(h)
        return self.dropout(self.c_proj(h))  # (B, T, n_embd)
