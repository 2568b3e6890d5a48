"""Shared fixtures: small models with named layers and fixed weights, built to catch mistakes."""
from collections import OrderedDict

import pytest
import torch
from torch import nn
from torch.nn import functional as F


def tiny_net() -> nn.Sequential:
    """conv -> in-place ReLU -> pool -> conv -> ReLU -> global pool -> linear, seeded weights.

    The in-place ReLU is on purpose: it overwrites conv1's output, a trap the probe must avoid.
    """
    torch.manual_seed(0)
    net = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 4, 3, padding=1)),
        ("relu1", nn.ReLU(inplace=True)),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(4, 6, 3, padding=1)),
        ("relu2", nn.ReLU()),
        ("avgpool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(6, 5)),
    ]))
    return net.eval()


def bn_net() -> nn.Sequential:
    """conv -> BatchNorm -> ReLU -> conv -> global pool -> linear, seeded weights, left in training
    mode: the model a student forgets to ``.eval()``, which every entry point must refuse."""
    generator = torch.Generator().manual_seed(0)
    net = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 4, 3, padding=1)), ("bn", nn.BatchNorm2d(4)), ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(4, 4, 3, padding=1)), ("relu2", nn.ReLU()), ("avgpool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3))]))
    for p in net.parameters():
        p.data = torch.randn(p.shape, generator=generator) * 0.3
    return net


class FunctionalReLUNet(nn.Module):
    """Applies its ReLU as a function, in place (as torchvision's GoogLeNet does)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.relu(self.conv(x), inplace=True)
        return self.fc(x.mean((2, 3)))


@pytest.fixture
def net():
    return tiny_net()


@pytest.fixture
def functional_net():
    return FunctionalReLUNet().eval()


@pytest.fixture(scope="session")
def shapenet():
    from vizlab import load_model

    return load_model("shapenet")


def hook_count(model: nn.Module) -> int:
    """Every hook of every kind on every module of ``model``."""
    kinds = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
             "_state_dict_hooks", "_load_state_dict_pre_hooks")
    return sum(len(getattr(m, kind, {})) for m in model.modules() for kind in kinds)


def snapshot(model: nn.Module) -> dict:
    """Everything about a model that vizlab promises to leave as it found it."""
    return {
        "modules": [(name, type(m), m.training, getattr(m, "inplace", None)) for name, m in model.named_modules()],
        "params": {n: (p.detach().clone(), p.requires_grad, p.grad) for n, p in model.named_parameters()},
        "hooks": hook_count(model),
        "buffers": {n: b.detach().clone() for n, b in model.named_buffers()},  # BatchNorm statistics
    }


def assert_unchanged(model: nn.Module, before: dict) -> None:
    after = snapshot(model)
    assert after["modules"] == before["modules"]
    assert after["hooks"] == before["hooks"]
    assert after["buffers"].keys() == before["buffers"].keys()
    for name, value in before["buffers"].items():
        assert torch.equal(after["buffers"][name], value), f"buffer {name} changed"
    for name, (value, requires_grad, grad) in before["params"].items():
        now = after["params"][name]
        assert torch.equal(now[0], value) and now[1] == requires_grad and now[2] is grad, name


def wait_for(condition, timeout: float = 90.0) -> None:
    """Poll ``condition`` until it holds (a widget's background run reports through its state)."""
    import time

    end = time.time() + timeout
    while not condition():
        assert time.time() < end, "timed out"
        time.sleep(0.02)


# --- live explorers, driven without a browser -------------------------------------------------

def show(explorer) -> None:
    """What displaying an explorer in a notebook calls (ipywidgets 8 or 7), without a notebook."""
    if hasattr(type(explorer), "_repr_mimebundle_"):
        explorer._repr_mimebundle_()
    else:
        explorer._shown()            # ipywidgets 7's display would need a running IPython


def page_tick(explorer) -> None:
    """What the page does with the newest ping: its link copies it into its pong and sends it back."""
    channel = explorer._asked % 2
    explorer._pongs[channel].value = explorer._pings[channel].value


def drive(explorer, until, *, slices: int = 10_000) -> None:
    """Run slices, as the page would ask for them, until ``until()`` holds."""
    for _ in range(slices):
        if until():
            return
        assert explorer.running, "the run ended before the condition held"
        page_tick(explorer)
    assert until(), f"not reached in {slices} slices"
