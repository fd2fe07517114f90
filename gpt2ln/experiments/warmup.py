"""Why Post-LN needs learning-rate warmup: four short character-level training runs.

Pre-LN and Post-LN, each with and without a linear warmup, trained on Shakespeare with
AdamW at the same high learning rate (:func:`compare`). Xiong et al. (2020) predict that
Post-LN without warmup trains badly at such a rate, because at initialisation the
layers next to its output get large gradients (see
:mod:`gpt2ln.experiments.gradient_flow`), while Pre-LN is barely affected: it needs less
warmup, not none (large Pre-LN models still warm up: GPT-3, LLaMA).

What the defaults show (8 blocks of width 32, ``lr=3e-3``, 300 steps of 16 x 32
characters, 100 of warmup; seeds 0-4): Post-LN without warmup stalls for the whole run at
the loss of a model that ignores its input and predicts character frequencies
(:func:`unigram_loss`, 3.33 nats), in every seed; with warmup it gets well below it
(validation loss 2.64-2.87). Pre-LN trains without warmup (2.57-2.75) and a little better
with it (2.54-2.58). The effect needs the depth: with 6 blocks one seed in three escaped
the stall. With 6 blocks at ``lr=5e-3``, Post-LN stalled even with warmup in two seeds of
three while Pre-LN still trained (2.48-2.57): warmup widens Post-LN's range of usable
rates, and Pre-LN's is wider still.
"""

import functools
import math
import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from ..config import GPTConfig
from ..data import CharTokenizer, load_corpus, random_batches
from ..device import default_device
from ..model import GPT2, lm_loss
from .threads import torch_threads

# AdamW's betas: (0.9, 0.98), the setting of the original Post-LN Transformer (Vaswani et
# al. 2017) and of Xiong et al.'s experiments. beta2 = 0.98 averages the squared gradients
# over about 50 steps, so Adam's per-parameter step sizes settle within the warmup; with
# PyTorch's default 0.999 the average spans 1000 steps, longer than these runs.
BETAS = (0.9, 0.98)

LR = 3e-3
"""The book's learning rate: Pre-LN trains well at it, Post-LN only with warmup."""

WARMUP_STEPS = 100
"""The book's warmup: a third of the run."""

DEFAULTS = dict(steps=300, n_layer=8, n_embd=32, n_head=4, block_size=32, batch_size=16)
"""The book's configuration: about 20 s of CPU time per run with one thread (22 s measured for one
run on a shared 2-core machine, where the same run took 195 s of wall-clock time); so about a minute
and a half for :func:`compare`'s four runs on an otherwise idle CPU core, longer on a busy one."""

QUICK = dict(steps=30, n_layer=2, n_embd=16, n_head=2, block_size=16, batch_size=8)
"""A configuration the graded notebook's tests can run in a few seconds; too short to show the effect."""


def lr_at(step: int, *, base_lr: float, warmup_steps: int, total_steps: int) -> float:
    """The learning rate at ``step`` (0-based): linear warmup, then cosine decay to ``base_lr / 10``.

    * warmup, ``step < warmup_steps``:  ``lr = base_lr * step / warmup_steps``
      (0 at step 0, rising by ``base_lr / warmup_steps`` per step);
    * decay, ``warmup_steps <= step <= total_steps``, with
      ``p = (step - warmup_steps) / (total_steps - warmup_steps)`` going from 0 to 1:
      ``lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * p)) / 2``, ``min_lr = 0.1 * base_lr``
      (``base_lr`` at the end of the warmup, ``min_lr`` at ``total_steps``, and after).

    ``warmup_steps=0`` means no warmup: the first step already uses ``base_lr``.
    """
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    min_lr = 0.1 * base_lr
    decay_steps = max(total_steps - warmup_steps, 1)
    p = min((step - warmup_steps) / decay_steps, 1.0)
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * p))


@dataclass
class TrainResult:
    norm: str
    lr: float
    warmup_steps: int
    losses: list[float]  # training loss per step (nan after a divergence)
    val_loss: float  # final held-out loss (nan if the run diverged)
    grad_norms: list[float]  # global gradient norm per step, before clipping if any
    lrs: list[float] = field(default_factory=list)  # the learning rate each step used
    seconds: float = 0.0  # wall-clock time of the run (training and evaluation)
    cpu_seconds: float = 0.0  # CPU time of the same span, all threads of this process (a busy machine inflates
    # only the wall-clock time)
    diverged: bool = False  # the loss became inf or nan and training stopped

    @property
    def final_train_loss(self) -> float:
        """Mean training loss over the last 10% of steps (one batch alone is noisy)."""
        tail = self.losses[-max(len(self.losses) // 10, 1) :]
        return sum(tail) / len(tail)


@functools.lru_cache(maxsize=2)
def tokenize_corpus(text: str, val_fraction: float = 0.1):
    """``(tokenizer, train_tokens, val_tokens)``: the first 90% to train on, the last 10% held out.

    Cached: encoding the 5 M-character corpus takes about a second, and :func:`compare`
    trains four times on the same text.
    """
    tokenizer = CharTokenizer(text)
    tokens = tokenizer.encode(text)  # (N,)
    n_val = max(int(len(tokens) * val_fraction), 1)
    return tokenizer, tokens[:-n_val], tokens[-n_val:]


def unigram_loss(text: str | None = None) -> float:
    """The loss (nats per character) of the best model that ignores its input: the entropy of the
    training text's character frequencies. A run stuck at this value has learned nothing but them.
    """
    _, train_tokens, _ = tokenize_corpus(load_corpus() if text is None else text)
    p = torch.bincount(train_tokens).float() / len(train_tokens)  # (vocab_size,)
    p = p[p > 0]
    return -(p * p.log()).sum().item()


@torch.no_grad()
def evaluate(model, tokens, *, batch_size, block_size, n_batches=16, seed=0, device="cpu") -> float:
    """Mean loss over ``n_batches`` fixed random windows of ``tokens``."""
    model.eval()
    batches = random_batches(tokens, batch_size, block_size, torch.Generator().manual_seed(seed))
    total = 0.0
    for _ in range(n_batches):
        x, y = next(batches)
        total += lm_loss(model(x.to(device)), y.to(device)).item()
    model.train()
    return total / n_batches


def train(
    norm: str,
    *,
    lr: float,
    warmup_steps: int,
    steps: int = DEFAULTS["steps"],
    n_layer: int = DEFAULTS["n_layer"],
    n_embd: int = DEFAULTS["n_embd"],
    n_head: int = DEFAULTS["n_head"],
    block_size: int = DEFAULTS["block_size"],
    batch_size: int = DEFAULTS["batch_size"],
    seed: int = 0,
    text: str | None = None,
    progress: bool = True,
    device=None,
    weight_decay: float = 0.01,
    grad_clip: float | None = None,
    betas: tuple[float, float] = BETAS,
    threads: int | None = 1,
) -> TrainResult:
    """Train a char-level ``GPT2(norm=...)`` with AdamW and the :func:`lr_at` schedule.

    The model's initialisation and the batches depend only on ``seed``, so the four runs
    of :func:`compare` see the same data in the same order and differ only in the block
    and the schedule. No gradient clipping by default: clipping is itself a cure for the
    early large updates, and would hide what the experiment shows. ``threads``: torch
    intra-op threads on the CPU (see :mod:`.threads`; ``None`` leaves torch's setting).
    """
    device = torch.device(device) if device is not None else default_device()
    with torch_threads(threads if device.type == "cpu" else None):
        text = load_corpus() if text is None else text
        tokenizer, train_tokens, val_tokens = tokenize_corpus(text)
        cfg = GPTConfig(vocab_size=tokenizer.vocab_size, n_positions=block_size, n_embd=n_embd, n_layer=n_layer,
                        n_head=n_head)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = GPT2(cfg, norm=norm, fast=True).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)
        batches = random_batches(train_tokens, batch_size, block_size, torch.Generator().manual_seed(seed))

        result = TrainResult(norm=norm, lr=lr, warmup_steps=warmup_steps, losses=[], val_loss=float("nan"),
                             grad_norms=[])
        start, cpu_start = time.perf_counter(), time.process_time()
        bar = tqdm(range(steps), desc=f"{norm}-LN lr={lr:g} warmup={warmup_steps}", disable=not progress, leave=False)
        for step in bar:
            step_lr = lr_at(step, base_lr=lr, warmup_steps=warmup_steps, total_steps=steps)
            for group in optimizer.param_groups:
                group["lr"] = step_lr
            x, y = next(batches)
            loss = lm_loss(model(x.to(device)), y.to(device))  # (B, T) targets -> scalar
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            max_norm = grad_clip if grad_clip is not None else float("inf")
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm).item()
            result.losses.append(loss.item())
            result.grad_norms.append(grad_norm)
            result.lrs.append(step_lr)
            if not math.isfinite(result.losses[-1]):
                result.diverged = True
                break
            optimizer.step()
            if step % 10 == 0:
                bar.set_postfix(loss=f"{result.losses[-1]:.3f}")
        if result.diverged:
            result.losses += [float("nan")] * (steps - len(result.losses))
        else:
            result.val_loss = evaluate(model, val_tokens, batch_size=batch_size, block_size=block_size, seed=seed,
                                       device=device)
        result.seconds = time.perf_counter() - start
        result.cpu_seconds = time.process_time() - cpu_start
    return result


def compare(lr: float, warmup_steps: int, **kw) -> dict[tuple[str, int], TrainResult]:
    """The four runs, keyed ``(norm, warmup)``: Pre-LN and Post-LN, each with 0 and ``warmup_steps`` warmup."""
    return {
        (norm, w): train(norm, lr=lr, warmup_steps=w, **kw)
        for norm in ("pre", "post")
        for w in (0, warmup_steps)
    }
