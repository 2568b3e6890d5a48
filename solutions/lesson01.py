"""Reference solutions for lesson 01, and typical wrong answers the checks must catch."""
import torch


def symmetric_scale(weight):
    return weight / (2 * weight.abs().max()) + 0.5


def low_frequency_energy(weight, cutoff):
    centred = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    energy = torch.fft.fft2(centred).abs().square().sum(1)               # (K, k, k), summed over colour
    fy = torch.fft.fftfreq(weight.shape[2], d=1 / weight.shape[2]).abs()
    fx = torch.fft.fftfreq(weight.shape[3], d=1 / weight.shape[3]).abs()
    low = (fy[:, None] <= cutoff) & (fx[None, :] <= cutoff)
    return (energy * low).sum((1, 2)) / energy.sum((1, 2))


def _share(weight, cutoff, centre=True, power=True, both_signs=True):
    if centre:
        weight = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    spectrum = torch.fft.fft2(weight).abs()
    energy = (spectrum.square() if power else spectrum).sum(1)
    k = weight.shape[-1]
    index = torch.arange(k)
    low = (index <= cutoff) if not both_signs else (torch.minimum(index, k - index) <= cutoff)
    return (energy * (low[:, None] & low[None, :])).sum((1, 2)) / energy.sum((1, 2))


WRONG = {
    "q1": [
        lambda weight: (weight - weight.amin((1, 2, 3), keepdim=True))
        / (weight.amax((1, 2, 3), keepdim=True) - weight.amin((1, 2, 3), keepdim=True)),  # per filter
        lambda weight: weight / (2 * weight.abs().max()),                                   # no offset
        lambda weight: weight / weight.abs().max() + 0.5,                                   # factor 2 missing
    ],
    "q2": [
        lambda weight, cutoff: _share(weight, cutoff, centre=False),     # mean kept
        lambda weight, cutoff: _share(weight, cutoff, power=False),      # amplitude
        lambda weight, cutoff: _share(weight, cutoff, both_signs=False),  # only f >= 0
        lambda weight, cutoff: _share(weight, cutoff).sum(),             # one number for all
    ],
}
