"""Plotting helpers shared by the book and the notebooks, so a figure looks the same in both.

Each function draws on a matplotlib ``Axes`` (a new one when ``ax`` is None) and returns
it; none of them computes anything, they only draw results of :mod:`gpt2ln.experiments`.
Pre-LN is always green and Post-LN always orange, the colours of the book's diagrams.
"""

import math

import matplotlib.pyplot as plt

COLORS = {
    "pre": "#059669",
    "post": "#ea580c",
    "peri": "#2563eb",
    "deepnorm": "#7c3aed",
    "mix": "#db2777",
    "rms": "#0891b2",
}
NAMES = {"pre": "Pre-LN", "post": "Post-LN", "peri": "Peri-LN", "deepnorm": "DeepNorm", "mix": "Mix-LN",
         "rms": "Pre-RMSNorm"}
WRONG_COLORS = ["#dc2626", "#db2777", "#9333ea", "#4b5563"]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def label_of(key: str) -> str:
    return NAMES.get(key, key)


def color_of(key: str, index: int = 0) -> str:
    return COLORS.get(key, WRONG_COLORS[index % len(WRONG_COLORS)])


def plot_layer_grad_norms(results: dict, ax=None, title: str = "", attr: str = "grad_norms"):
    """Per-layer gradient norm (one line per result), log scale: Xiong et al.'s Fig. 3 a/b.

    ``results`` maps a name ("pre", "post" or any label) to a ``FlowResult``.
    """
    ax = _axes(ax)
    for i, (key, res) in enumerate(results.items()):
        values = getattr(res, attr)
        ax.plot(range(1, len(values) + 1), values, "o-", color=color_of(key, i), label=label_of(key), ms=4)
    ax.set_yscale("log")
    ax.set_xlabel("layer l")
    ax.set_ylabel(r"$\|\partial \mathcal{L} / \partial W^{2,l}\|_F$" if attr == "grad_norms" else "gradient norm")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return ax


def plot_depth_sweep(sweeps: dict, ax=None, title: str = "", reference_slope: bool = True):
    """The last layer's gradient norm against depth: Xiong et al.'s Fig. 3 c/d.

    ``sweeps`` maps a name to a list of ``FlowResult`` at increasing depth. With
    ``reference_slope`` a dashed ``1/sqrt(L)`` line through Pre-LN's first point shows the
    rate Theorem 1 predicts.
    """
    ax = _axes(ax)
    for i, (key, results) in enumerate(sweeps.items()):
        depths = [r.n_layer for r in results]
        ax.plot(depths, [r.last_grad_norm for r in results], "o-", color=color_of(key, i), label=label_of(key))
    if reference_slope and "pre" in sweeps:
        first = sweeps["pre"][0]
        depths = [r.n_layer for r in sweeps["pre"]]
        ax.plot(depths, [first.last_grad_norm * math.sqrt(first.n_layer / L) for L in depths], "--",
                color=COLORS["pre"], alpha=0.6, label=r"$\propto 1/\sqrt{L}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sorted({r.n_layer for res in sweeps.values() for r in res}))
    ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    ax.set_xlabel("number of layers L")
    ax.set_ylabel(r"$\|\partial \mathcal{L} / \partial W^{2,L}\|_F$ (last layer)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return ax


def plot_hidden_norms(result, bounds=None, ax=None, title: str = ""):
    """``E||x_l||^2 / d`` against ``l``, with Lemma 2's ``(1 + l/2, 1 + 3l/2)`` band when given."""
    ax = _axes(ax)
    layers = list(range(len(result.hidden_norms)))
    if bounds is not None:
        lower, upper = bounds
        ax.fill_between(layers, lower, upper, color="#d1d5db", alpha=0.6, label=r"Lemma 2: $1+l/2$ to $1+3l/2$")
    ax.plot(layers, result.hidden_norms, "o-", color=color_of(result.norm), label=f"{label_of(result.norm)} measured")
    ax.set_xlabel("layer l (0 = embeddings)")
    ax.set_ylabel(r"$\mathbb{E}\,\|x_l\|^2 / d$")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def smooth(values, window: int):
    """Trailing moving average (NaNs pass through), so one noisy batch does not hide the trend."""
    out = []
    for i in range(len(values)):
        chunk = [v for v in values[max(0, i - window + 1) : i + 1] if not math.isnan(v)]
        out.append(sum(chunk) / len(chunk) if chunk else float("nan"))
    return out


def plot_losses(runs: dict, ax=None, window: int = 10, title: str = ""):
    """Training-loss curves of ``compare``'s runs, keyed ``(norm, warmup_steps)``.

    Solid lines: with warmup; dashed: without.
    """
    ax = _axes(ax)
    for (norm, warmup), res in runs.items():
        style = "-" if warmup else "--"
        label = f"{label_of(norm)}, " + (f"warmup {warmup} steps" if warmup else "no warmup")
        ax.plot(smooth(res.losses, window), style, color=color_of(norm), label=label, lw=1.8)
    ax.set_xlabel("step")
    ax.set_ylabel(f"training loss (moving average of {window})")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_lr_schedules(runs: dict, ax=None, title: str = "learning rate"):
    """The learning rate each run used, step by step (from ``TrainResult.lrs``)."""
    ax = _axes(ax)
    seen = set()
    for (_norm, warmup), res in runs.items():
        if warmup in seen:
            continue
        seen.add(warmup)
        ax.plot(res.lrs, "-" if warmup else "--", color="#374151",
                label=f"warmup {warmup} steps" if warmup else "no warmup")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
