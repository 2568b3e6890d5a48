"""Reference solutions for lesson 05, and typical wrong answers the checks must catch."""
import torch


def guided_relu_backward(z, signal):
    return torch.where((z > 0) & (signal > 0), signal, torch.zeros_like(signal))


def deconvnet_relu_backward(z, signal):
    return signal.clamp(min=0)


WRONG = {
    "q1": [
        lambda z, r: torch.where(z > 0, r, torch.zeros_like(r)),   # plain gradient
        lambda z, r: r.clamp(min=0),                               # deconvnet
        lambda z, r: r.clamp(min=0) * z,                           # times z
        lambda z, r: torch.where(z > 0, r.abs(), torch.zeros_like(r)),  # abs instead of mask
        lambda z, r: torch.where((z >= 0) & (r > 0), r, torch.zeros_like(r)),  # z >= 0
    ],
    "q2": [
        lambda z, r: torch.where((z > 0) & (r > 0), r, torch.zeros_like(r)),  # guided
        lambda z, r: torch.where(z > 0, r, torch.zeros_like(r)),              # plain gradient
        lambda z, r: r.abs(),                                                 # abs
    ],
}
