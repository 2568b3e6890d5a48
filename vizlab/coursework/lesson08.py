"""Lesson 08 exercises: DeepDream."""
from __future__ import annotations

import torch

from . import Exercise
from .checking import Wrong, compare_tensors, generator as cases_generator, refuse_changes


def reference_step(images: torch.Tensor, grad: torch.Tensor, step_size: float) -> torch.Tensor:
    """x + step_size * g / mean|g| (the mean per image), clipped to [0, 1]."""
    scale = grad.abs().flatten(1).mean(1).clamp_min(1e-12).view(-1, 1, 1, 1)
    return (images + step_size * grad / scale).clamp(0, 1)


def _check_dream_step(fn, seed: int) -> None:
    generator = cases_generator(seed, 808)
    images = torch.rand(2, 3, 5, 5, generator=generator)
    grad = torch.randn(2, 3, 5, 5, generator=generator) * torch.tensor([1.0, 50.0]).view(2, 1, 1, 1)
    given_images, given_grad = images.clone(), grad.clone()
    out = fn(given_images, given_grad, 0.05)
    refuse_changes(given_images, images, "images")
    refuse_changes(given_grad, grad, "grad")
    expected = reference_step(images, grad, 0.05)
    if isinstance(out, torch.Tensor) and out.shape == expected.shape:
        if torch.allclose(out.to(images.dtype), (images + 0.05 * grad / grad.abs().mean()).clamp(0, 1), atol=1e-6):
            raise Wrong("you divide by mean|g| over the whole batch: each image should get its own mean",
                        "take the mean of |grad| over dimensions 1, 2, 3, keeping one value per image")
        if torch.allclose(out.to(images.dtype), images + 0.05 * grad / grad.abs().flatten(1).mean(1).view(-1, 1, 1, 1), atol=1e-6):
            raise Wrong("the result leaves [0, 1]: the clipping is missing", "clamp the new image to [0, 1]")
    compare_tensors(out, expected, what="dream_step(images, grad, 0.05)",
                    hint="images + step_size * grad / mean|grad| (one mean per image), then clamp to [0, 1]")


EXERCISES = [
    Exercise("q1", "dream_step",
             "dream_step(images, grad, step_size) returns images + step_size * grad / mean|grad| with the mean "
             "taken per image, clipped to [0, 1]",
             _check_dream_step),
]
