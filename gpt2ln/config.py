"""The model's hyper-parameters, with the field names Hugging Face's ``GPT2Config`` uses.

Keeping Hugging Face's names (``n_embd``, ``n_layer``, ``layer_norm_epsilon``...) means a
config can be read straight off a pretrained checkpoint, and a student who later reads
``transformers`` source recognises every field.
"""

from dataclasses import dataclass


@dataclass
class GPTConfig:
    vocab_size: int = 50257  # GPT-2's BPE vocabulary: 50,000 merges + 256 bytes + <|endoftext|>
    n_positions: int = 1024  # longest context the learned position embedding covers
    n_embd: int = 768  # width of the residual stream
    n_layer: int = 12  # number of transformer blocks
    n_head: int = 12  # attention heads per block; n_embd must divide evenly
    dropout: float = 0.0  # one rate for embeddings, attention weights and residual branches
    bias: bool = True  # GPT-2 has biases in every Linear and LayerNorm
    layer_norm_epsilon: float = 1e-5  # added to the variance, inside the square root

    def __post_init__(self):
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


# The four released GPT-2 sizes (Radford et al. 2019, Table 2).
GPT2_SIZES = {
    "gpt2": dict(n_layer=12, n_head=12, n_embd=768),  # 124M parameters
    "gpt2-medium": dict(n_layer=24, n_head=16, n_embd=1024),  # 350M
    "gpt2-large": dict(n_layer=36, n_head=20, n_embd=1280),  # 774M
    "gpt2-xl": dict(n_layer=48, n_head=25, n_embd=1600),  # 1558M
}
