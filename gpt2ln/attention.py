"""Causal multi-head self-attention, written out the way a student writes it.

``CausalSelfAttention(cfg)`` computes softmax(q k^T / sqrt(d_head) + mask) v explicitly.
Passing ``fast=True`` routes the same weights through
``F.scaled_dot_product_attention`` (fused kernels); the tests check both agree.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import GPTConfig


def causal_mask(T: int, device=None, n_past: int = 0) -> torch.Tensor:
    """(T, n_past + T) boolean mask: True where a query may attend to a key.

    Query i sits at absolute position n_past + i and sees every key at or before it.
    With n_past = 0 this is the familiar lower-triangular (T, T) matrix.
    """
    return torch.ones(T, n_past + T, dtype=torch.bool, device=device).tril(diagonal=n_past)


class KVCache:
    """Keys and values of the tokens seen so far, so generation feeds one new token per step.

    Without it every generated token re-runs attention over the whole prefix: O(T^2)
    work per token instead of O(T).
    """

    def __init__(self):
        self.k = self.v = None

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.size(2)

    def extend(self, k: torch.Tensor, v: torch.Tensor):
        """Append this step's (B, nh, T, hd) keys and values; return all of them."""
        self.k = k if self.k is None else torch.cat([self.k, k], dim=2)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=2)
        return self.k, self.v


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig, fast: bool = False):
        super().__init__()
        self.n_head = cfg.n_head
        self.n_embd = cfg.n_embd
        self.fast = fast
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)  # q, k, v in one matmul
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.attn_dropout = nn.Dropout(cfg.dropout)
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def split_heads(self, t: torch.Tensor) -> torch.Tensor:
        B, T, C = t.shape
        # (B, T, C) -> (B, T, n_head, head_dim) -> (B, n_head, T, head_dim)
        return t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # 3 x (B, T, C)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)  # (B, nh, T, hd)
        n_past = 0
        if cache is not None:
            n_past = len(cache)
            k, v = cache.extend(k, v)  # (B, nh, n_past + T, hd)

        if self.fast:
            p = self.attn_dropout.p if self.training else 0.0
            mask = None if T == 1 or n_past == 0 else causal_mask(T, x.device, n_past)
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=p, is_causal=(n_past == 0 and T > 1)
            )
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, nh, T, n_past + T)
            scores = scores.masked_fill(~causal_mask(T, x.device, n_past), float("-inf"))
            weights = F.softmax(scores, dim=-1)  # each query's row sums to 1 over keys
            weights = self.attn_dropout(weights)
            y = weights @ v  # (B, nh, T, hd)

        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble heads: (B, T, C)
        return self.resid_dropout(self.c_proj(y))
