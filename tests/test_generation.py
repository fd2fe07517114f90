"""Generation with a KV cache gives exactly what re-running the whole prefix gives."""

import torch

from gpt2ln import GPT2, GPTConfig, generate

CFG = GPTConfig(vocab_size=61, n_positions=40, n_embd=32, n_layer=2, n_head=4)


def naive_greedy(model, idx, n):
    for _ in range(n):
        idx = torch.cat([idx, model(idx)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return idx


def test_greedy_with_cache_equals_full_recompute():
    for norm, fast in [("pre", False), ("pre", True), ("post", False)]:
        torch.manual_seed(0)
        model = GPT2(CFG, norm=norm, fast=fast).eval()
        prompt = torch.randint(CFG.vocab_size, (3, 5))
        with torch.no_grad():
            assert torch.equal(generate(model, prompt, 12, greedy=True), naive_greedy(model, prompt, 12))


def test_top_k_sampling_stays_in_the_top_k():
    torch.manual_seed(0)
    model = GPT2(CFG).eval()
    prompt = torch.randint(CFG.vocab_size, (1, 4))
    with torch.no_grad():
        allowed = model(prompt)[0, -1].topk(3).indices
    for seed in range(20):
        out = generate(model, prompt, 1, top_k=3, generator=torch.Generator().manual_seed(seed))
        assert out[0, -1] in allowed


def test_sampling_is_reproducible_and_temperature_sharpens():
    torch.manual_seed(0)
    model = GPT2(CFG).eval()
    prompt = torch.randint(CFG.vocab_size, (1, 4))
    a = model.generate(prompt, 10, temperature=0.8, generator=torch.Generator().manual_seed(5))
    b = model.generate(prompt, 10, temperature=0.8, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == (1, 14)
    cold = model.generate(prompt, 10, temperature=1e-4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(cold, model.generate(prompt, 10, greedy=True))
    assert model.training is False
