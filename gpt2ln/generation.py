"""Autoregressive text generation: greedy or temperature / top-k sampling, with a KV cache."""

import torch

from .attention import KVCache


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, greedy=False, generator=None):
    """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens; returns (B, T + max_new_tokens).

    The prompt is run once to fill a KV cache per block; every later step feeds only the
    newest token. ``greedy`` takes the arg-max; otherwise logits are divided by
    ``temperature``, cut to the ``top_k`` most likely tokens and sampled.
    """
    was_training = model.training
    model.eval()
    caches = [KVCache() for _ in model.h]
    logits = model(idx, caches)  # (B, T, V)
    out = [idx]
    for step in range(max_new_tokens):
        next_logits = logits[:, -1, :]  # (B, V): only the last position predicts the next token
        if greedy:
            next_id = next_logits.argmax(dim=-1, keepdim=True)  # (B, 1)
        else:
            next_logits = next_logits / temperature
            if top_k is not None:
                kth = torch.topk(next_logits, min(top_k, next_logits.size(-1))).values[:, [-1]]
                next_logits = next_logits.masked_fill(next_logits < kth, float("-inf"))
            probs = torch.softmax(next_logits, dim=-1)
            next_id = torch.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)
        out.append(next_id)
        if step + 1 < max_new_tokens:
            logits = model(next_id, caches)  # (B, 1, V)
    model.train(was_training)
    return torch.cat(out, dim=1)
