"""The whole GPT-2: embeddings, a stack of blocks, a final LayerNorm and a tied LM head.

Module names follow Hugging Face / OpenAI (``wte``, ``wpe``, ``h``, ``ln_f``, ``lm_head``)
so pretrained weights load by name (see ``gpt2ln.hf``).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import KVCache
from .blocks import PostLNBlock, PreLNBlock
from .config import GPTConfig
from .layers import LayerNorm

BLOCKS = {"pre": PreLNBlock, "post": PostLNBlock}


class GPT2(nn.Module):
    """GPT-2 with Pre-LN blocks (``norm="pre"``, the real GPT-2) or Post-LN blocks.

    ``norm="post"`` gives the 2017 layout: each block already ends in a LayerNorm, so
    ``ln_f`` is the identity there. ``fast=True`` uses PyTorch's fused kernels
    (``F.scaled_dot_product_attention``, ``F.layer_norm``, tanh ``F.gelu``); the weights
    and the maths are the same, and the tests check both paths agree.
    """

    def __init__(self, cfg: GPTConfig, norm: str = "pre", fast: bool = False):
        super().__init__()
        if norm not in BLOCKS:
            raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
        self.cfg, self.norm = cfg, norm
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)  # token embedding
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)  # learned position embedding
        self.drop = nn.Dropout(cfg.dropout)
        self.h = nn.ModuleList(BLOCKS[norm](cfg, fast=fast) for _ in range(cfg.n_layer))
        if norm == "pre":  # GPT-2 added this: the stream is never normalised inside the stack
            self.ln_f = LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon, bias=cfg.bias, fast=fast)
        else:
            self.ln_f = nn.Identity()
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying: one matrix reads and writes tokens
        self.apply(init_gpt2_weights)
        scale_residual_projections(self)

    def forward(self, idx: torch.Tensor, caches: list[KVCache] | None = None) -> torch.Tensor:
        """Token ids (B, T) -> next-token logits (B, T, vocab_size)."""
        B, T = idx.shape
        n_past = len(caches[0]) if caches else 0
        if n_past + T > self.cfg.n_positions:
            raise ValueError(f"sequence of {n_past + T} tokens exceeds n_positions={self.cfg.n_positions}")
        pos = torch.arange(n_past, n_past + T, device=idx.device)  # (T,)
        x = self.drop(self.wte(idx) + self.wpe(pos))  # (B, T, C)
        for i, block in enumerate(self.h):
            x = block(x, caches[i] if caches else None)
        x = self.ln_f(x)
        return self.lm_head(x)  # (B, T, vocab_size)

    def num_parameters(self) -> int:
        """Parameters counted once (the tied LM head shares ``wte``)."""
        return sum(p.numel() for p in self.parameters())

    @classmethod
    def from_pretrained(cls, name: str = "gpt2", **kwargs) -> "GPT2":
        """Download a released GPT-2 ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl")."""
        from .hf import from_pretrained

        return from_pretrained(name, **kwargs)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, greedy=False, generator=None):
        from .generation import generate

        return generate(self, idx, max_new_tokens, temperature, top_k, greedy, generator)


def init_gpt2_weights(module: nn.Module) -> None:
    """GPT-2's initialisation: N(0, 0.02) for weights and embeddings, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)


def scale_residual_projections(model: nn.Module) -> None:
    """Shrink every ``c_proj`` (the layers that write into the residual stream) by 1/sqrt(2 L).

    The GPT-2 paper (Section 2.3) scales residual-layer weights by 1/sqrt(N) with N the
    number of residual layers, two per block: the stream is a sum of 2L branch outputs,
    so its variance at initialisation stays O(1) however deep the stack.
    """
    n_layer = len(model.h)
    for name, p in model.named_parameters():
        if name.endswith("c_proj.weight"):
            nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy; logits (B, T, V), targets (B, T)."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())
