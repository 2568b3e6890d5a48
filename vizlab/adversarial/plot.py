"""Figures for adversarial results (matplotlib, imported lazily: the engine never needs it)."""
from __future__ import annotations

import math

import torch

from ..images import to_numpy


def plot_robustness(curve, *, ax=None, title: str | None = None):
    """Accuracy against eps, one line per attack of a ``RobustnessCurve``; returns the figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2))
    else:
        fig = ax.figure
    unit = 255 if curve.norm == "linf" else 1
    styles = {"noise": "o:", "fgsm": "s-", "bim": "^-", "pgd": "v-"}
    for name, values in curve.accuracy.items():
        ax.plot([e * unit for e in curve.eps], [100 * v for v in values], styles.get(name, "o-"), label=name)
    ax.set_xlabel("eps (in 1/255)" if unit == 255 else "eps (L2)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or f"{curve.images} held-out images, {curve.norm}")
    fig.tight_layout()
    return fig


def plot_targeted_matrix(matrix, *, size: float = 4.2):
    """Two heat maps: success at eps and the median minimal eps (in 1/255) per source x target
    ("-": not reached up to eps_max)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(2.2 * size, size))
    names = [n.replace(" stripes", "\nstripes") for n in matrix.class_names]
    panels = [(matrix.success * 100, f"success at eps = {matrix.eps * 255:.0f}/255 (%)", "Greens"),
              (matrix.min_eps * 255, "median minimal eps (1/255)", "Reds")]
    for ax, (values, title, cmap) in zip(axes, panels):
        finite = values.masked_fill(~values.isfinite(), float("nan"))
        ax.imshow(finite.numpy(), cmap=cmap)
        high = float(finite[finite.isfinite()].max()) if finite.isfinite().any() else 1.0
        for s in range(values.shape[0]):
            for t in range(values.shape[1]):
                v = float(values[s, t])
                text = "" if math.isnan(v) else ("-" if math.isinf(v) else f"{v:.0f}")
                dark = math.isfinite(v) and v > 0.6 * high              # white text on dark cells
                ax.text(t, s, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_xlabel("target class")
        ax.set_ylabel("source class")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def magnified(perturbation: torch.Tensor, eps: float | None = None) -> tuple[torch.Tensor, float]:
    """(grey + factor * perturbation, factor): the perturbation made visible. The factor maps
    +-eps (or, without eps, the largest change) to black and white; it is printed with the picture."""
    largest = float(eps) if eps else float(perturbation.abs().max())
    factor = 0.5 / largest if largest > 0 else 1.0
    return (0.5 + factor * perturbation).clamp(0, 1), factor


def show_attack(result, index: int = 0, *, class_names=None, size: float = 2.4):
    """Original, magnified perturbation and adversarial image of one image of an ``AttackResult``."""
    import matplotlib.pyplot as plt

    names = class_names or [str(k) for k in range(result.logits.shape[1])]
    eps = float(result.eps[index]) if result.norm == "linf" else None
    picture, factor = magnified(result.perturbation[index].detach().cpu(), eps)
    before = result.clean_logits[index].softmax(0)
    after = result.logits[index].softmax(0)
    k0, k1 = int(before.argmax()), int(after.argmax())
    panels = [(result.original[index], f"{names[k0]} ({before[k0]:.1%})"),
              (picture, f"perturbation x{factor:.0f}"),
              (result.adversarial[index], f"{names[k1]} ({after[k1]:.1%})")]
    fig, axes = plt.subplots(1, 3, figsize=(3 * size, size))
    for ax, (image, title) in zip(axes, panels):
        ax.imshow(to_numpy(image), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig
