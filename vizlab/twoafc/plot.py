"""Figures for lesson 11 and ``vizlab twoafc``: accuracy against difficulty."""
from __future__ import annotations

from .sweep import Sweep


def plot_sweep(result: Sweep, *, size: float = 3.2):
    """One panel per layer: accuracy (mean over units, 95 % interval) against the strong query's
    percentile, a line per condition and observer; chance at 50 %."""
    import matplotlib.pyplot as plt

    summary = result.summary()
    layers = sorted({s["layer"] for s in summary})
    lines = sorted({(s["condition"], s["observer"]) for s in summary})
    with plt.ioff():
        fig, axes = plt.subplots(1, len(layers), figsize=(size * len(layers), size), sharey=True, squeeze=False)
    for ax, layer in zip(axes[0], layers):
        for condition, observer in lines:
            points = sorted((s["difficulty"][0], s["mean"], s["ci"]) for s in summary
                            if s["layer"] == layer and s["condition"] == condition and s["observer"] == observer)
            if points:
                x, y, e = zip(*points)
                ax.errorbar(x, [100 * v for v in y], yerr=[100 * v for v in e], marker="o", capsize=3,
                            label=f"{condition} ({observer})")
        ax.axhline(50, color="grey", linestyle=":", linewidth=1)
        ax.set_title(layer)
        ax.set_xlabel("strong query's percentile (harder →)")
        ax.invert_xaxis()
    axes[0][0].set_ylabel("accuracy (%)")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
