"""Throughput of gpt2ln.GPT2 against transformers.GPT2LMHeadModel, same config, same machine, one run.

Prints tokens/s for a training step (forward + backward + AdamW step) and for greedy
generation with a KV cache, and the ratio ours / Hugging Face. Measurements of the two
models are interleaved (A B A B ...) so that a noisy neighbour slows both alike.

    python benchmarks/bench_model.py            # 6 layers, n_embd 384, 6 heads, T=256, B=8
    python benchmarks/bench_model.py --quick    # a smaller config, for a smoke test
"""

import argparse
import statistics
import time

import torch
from tqdm import tqdm
from transformers import GPT2Config, GPT2LMHeadModel

from gpt2ln import default_device, from_hf_model, lm_loss


def hf_model(args) -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=args.vocab, n_positions=1024, n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0, pad_token_id=0,
    )
    return GPT2LMHeadModel(config)


def train_step_fn(model, is_hf, idx):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        logits = model(idx).logits if is_hf else model(idx)
        loss = lm_loss(logits[:, :-1], idx[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def generate_fn(model, is_hf, prompt, n_new):
    def run():
        with torch.no_grad():
            if is_hf:
                model.generate(prompt, max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False, pad_token_id=0)
            else:
                model.generate(prompt, n_new, greedy=True)

    return run


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def interleaved_seconds(fns: dict, repeats: int, device) -> dict:
    """Median seconds per call of each function, calls interleaved; one warm-up call each first."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in tqdm(range(repeats), desc="measuring", leave=False):
        for name, fn in fns.items():
            sync(device)
            t0 = time.perf_counter()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-layer", type=int, default=6)
    parser.add_argument("--n-embd", type=int, default=384)
    parser.add_argument("--n-head", type=int, default=6)
    parser.add_argument("--vocab", type=int, default=50257)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 layers, n_embd 128, T=64: a smoke test")
    args = parser.parse_args()
    if args.quick:
        quick = dict(n_layer=2, n_embd=128, n_head=4, seq=64, batch=4, new_tokens=32, repeats=2)
        vars(args).update(quick)
    device = default_device()
    print(f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"config: {args.n_layer} layers, n_embd {args.n_embd}, {args.n_head} heads, vocab {args.vocab}, "
          f"T={args.seq}, B={args.batch}")

    hf = hf_model(args).to(device)
    hf_attn = hf.config._attn_implementation
    models = {
        f"transformers ({hf_attn})": (hf, True),
        "gpt2ln explicit": (from_hf_model(hf.cpu()).to(device), False),
        "gpt2ln fast (sdpa)": (from_hf_model(hf.cpu(), fast=True).to(device), False),
    }
    hf.to(device)
    for m, _ in models.values():
        m.train()
    idx = torch.randint(args.vocab, (args.batch, args.seq), generator=torch.Generator().manual_seed(0)).to(device)
    train = interleaved_seconds({n: train_step_fn(m, is_hf, idx) for n, (m, is_hf) in models.items()},
                                args.repeats, device)
    tokens = args.batch * args.seq

    for m, _ in models.values():
        m.eval()
    prompt = idx[:1, :16]
    gen = interleaved_seconds({n: generate_fn(m, is_hf, prompt, args.new_tokens) for n, (m, is_hf) in models.items()},
                              args.repeats, device)

    peer = next(iter(models))
    print(f"\n{'model':<26}{'train tokens/s':>16}{'ratio':>8}{'generate tokens/s':>20}{'ratio':>8}")
    for name in models:
        tr, ge = tokens / train[name], args.new_tokens / gen[name]
        tr_ratio, ge_ratio = train[peer] / train[name], gen[peer] / gen[name]
        print(f"{name:<26}{tr:>16,.0f}{tr_ratio:>8.2f}{ge:>20,.1f}{ge_ratio:>8.2f}")
    print("\nratio = ours / transformers (higher is faster); medians of", args.repeats, "interleaved runs")


if __name__ == "__main__":
    main()
