"""On a GPU, every optimization makes the host wait for the device only to hand out a frame,
never once per step: a wait per step drains the GPU's queue, and the loop then runs at the pace
of the host's round trips instead of the GPU's. Measured with torch's sync debug mode, which
warns at each synchronizing call: a run of 16 steps must wait no more often than one of 4.
Skipped without CUDA (CI has none); run them where a GPU is lent."""
import warnings

import pytest
import torch

from vizlab import dream, invert, load_model, make_shapes
from vizlab.adversarial import pgd
from vizlab.ascent import ascend, channel, standard_transforms

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SHAPES = make_shapes(4, size=64, seed=0)

RUNS = {
    "ascent, pixels": lambda model, steps: list(ascend(model, channel("conv3", 1), param="pixels", size=32,
                                                       steps=steps, every=steps, redirect_steps=0)),
    "ascent, default recipe": lambda model, steps: list(ascend(model, channel("conv3", 1), size=32, steps=steps,
                                                               every=steps, transforms=standard_transforms(32))),
    "inversion": lambda model, steps: list(invert(model, SHAPES.images[:1], "conv3", steps=steps, every=steps)),
    "DeepDream": lambda model, steps: list(dream(model, SHAPES.images[0], "conv3", octaves=2, steps=steps,
                                                 every=steps)),
    "PGD": lambda model, steps: pgd(model, SHAPES.images, SHAPES.labels, eps=8 / 255, steps=steps),
}


def _waits(run) -> int:
    """How many times ``run()`` makes the host wait for the GPU (after one warm-up call)."""
    run()
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            run()
        finally:
            torch.cuda.set_sync_debug_mode(0)
    return sum("synchroniz" in str(w.message) for w in caught)


@pytest.mark.parametrize("method", RUNS)
def test_the_host_waits_for_the_gpu_per_frame_not_per_step(method):
    model = load_model("shapenet", device="cuda")
    short, long = (_waits(lambda: RUNS[method](model, steps)) for steps in (4, 16))
    assert long <= short, f"{method}: {short} waits in 4 steps, {long} in 16"
