"""Reference solution for lesson 08, and typical wrong answers the checks must catch."""


def dream_step(images, grad, step_size):
    mean_abs = grad.abs().mean(dim=(1, 2, 3), keepdim=True)
    return (images + step_size * grad / mean_abs).clamp(0, 1)


WRONG = {
    "q1": [
        lambda images, grad, step_size: (images + step_size * grad / grad.abs().mean()).clamp(0, 1),   # batch mean
        lambda images, grad, step_size: images + step_size * grad / grad.abs().mean((1, 2, 3), keepdim=True),  # no clip
        lambda images, grad, step_size: (images + step_size * grad).clamp(0, 1),                      # raw gradient
        lambda images, grad, step_size: (images + step_size * grad / grad.std()).clamp(0, 1),        # TF tutorial
        lambda images, grad, step_size:                                                   # changes its images
            images.add_(step_size * grad / grad.abs().mean((1, 2, 3), keepdim=True)).clamp_(0, 1),
        lambda images, grad, step_size:                                                   # changes its grad
            (images + step_size * grad.div_(grad.abs().mean((1, 2, 3), keepdim=True))).clamp(0, 1),
    ],
}
