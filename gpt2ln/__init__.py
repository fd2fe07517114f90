"""gpt2ln: the course's reference GPT-2, with Pre-LN and Post-LN blocks.

Everything the book, the notebooks and the autograder need is importable from here::

    from gpt2ln import GPTConfig, LayerNorm, gelu, MLP, CausalSelfAttention
    from gpt2ln import PreLNBlock, PostLNBlock, GPT2, load_hf_state_dict
"""

from .attention import CausalSelfAttention, KVCache, causal_mask
from .blocks import PostLNBlock, PreLNBlock
from .config import GPT2_SIZES, GPTConfig
from .device import default_device
from .generation import generate
from .hf import from_hf_model, load_hf_state_dict
from .layers import MLP, LayerNorm, gelu
from .model import GPT2, lm_loss

__all__ = [
    "GPTConfig",
    "GPT2_SIZES",
    "LayerNorm",
    "gelu",
    "MLP",
    "CausalSelfAttention",
    "KVCache",
    "causal_mask",
    "PreLNBlock",
    "PostLNBlock",
    "GPT2",
    "lm_loss",
    "load_hf_state_dict",
    "from_hf_model",
    "generate",
    "default_device",
]
