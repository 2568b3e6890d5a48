"""The ReLU rules: hand formulas, every way of writing a ReLU, GoogLeNet's functional ReLUs,
and a model left exactly as it was."""
import types

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from conftest import FunctionalReLUNet, assert_unchanged, hook_count, snapshot, tiny_net
from vizlab.attribution import RuleReLU, deconvnet, gradient, guided_backprop, project_unit, relu_rules, saliency

torch.set_printoptions(precision=4)

RELU_STYLES = {
    "module": lambda h: nn.ReLU()(h),
    "module in place": lambda h: nn.ReLU(inplace=True)(h),
    "F.relu": F.relu,
    "F.relu in place": lambda h: F.relu(h, inplace=True),
    "F.relu in place, positional": lambda h: F.relu(h, True),
    "torch.relu": torch.relu,
    "Tensor.relu": lambda h: h.relu(),
    "Tensor.relu_": lambda h: h.relu_(),
    "F.relu_ with its result ignored": lambda h: (F.relu_(h), h)[1],  # relies on the in-place write
}


class TwoLayer(nn.Module):
    """x -> W2 relu(W1 x) on flattened (3, 2, 2) images, with the ReLU written as ``relu``."""

    def __init__(self, relu, hidden=16, classes=3):
        super().__init__()
        torch.manual_seed(3)
        self.fc1 = nn.Linear(12, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, classes, bias=False)
        self.relu = relu

    def forward(self, images):
        return self.fc2(self.relu(self.fc1(images.flatten(1))))


@pytest.mark.parametrize("style", RELU_STYLES)
def test_two_layer_network_matches_the_hand_formulas(style):
    """METHODS.md §5: GBP = W1^T(1[W1x>0] * max(W2^T e_c, 0)); the deconvnet drops the mask."""
    model = TwoLayer(RELU_STYLES[style])
    images, c = torch.rand(5, 3, 2, 2), 1                      # in [0, 1]: W1's signs still mix the mask
    W1, W2 = model.fc1.weight, model.fc2.weight
    mask = (images.flatten(1) @ W1.T > 0).float()              # (5, hidden)
    assert 0 < mask.mean() < 1                                  # the mask matters
    top = W2[c]                                                 # W2^T e_c, (hidden,)
    expected = {
        gradient: (mask * top) @ W1,
        guided_backprop: (mask * top.clamp(min=0)) @ W1,
        deconvnet: top.clamp(min=0).expand(5, -1) @ W1,
    }
    for method, want in expected.items():
        got = method(model, images, c)
        torch.testing.assert_close(got.flatten(1), want, rtol=1e-5, atol=1e-6, msg=f"{method.__name__}, {style}")
    assert not torch.allclose(expected[guided_backprop], expected[deconvnet])  # the test can tell them apart


def test_linear_model_saliency_is_its_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 5, 6)).eval()
    images = torch.rand(2, 3, 4, 5)
    weight = model[1].weight.detach().view(6, 3, 4, 5)
    torch.testing.assert_close(gradient(model, images, 4), weight[4].expand(2, -1, -1, -1))
    torch.testing.assert_close(saliency(model, images, 4), weight[4].abs().amax(0).expand(2, -1, -1))
    # one target per image
    torch.testing.assert_close(gradient(model, images, [1, 5]), weight[[1, 5]])


def test_without_relus_all_three_methods_are_bit_identical():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.MaxPool2d(2), nn.Tanh(),
                          nn.Conv2d(5, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 2 * 2, 3)).eval()
    images = torch.rand(2, 3, 8, 8)
    plain = gradient(model, images, 2)
    assert torch.equal(guided_backprop(model, images, 2), plain)
    assert torch.equal(deconvnet(model, images, 2), plain)


@pytest.mark.parametrize("make", [tiny_net, lambda: FunctionalReLUNet().eval()])
def test_the_gradient_rule_reproduces_autograd_exactly(make):
    """Routing ReLUs (in place ones too) through RuleReLU must not change the plain gradient."""
    model = make()
    images = torch.rand(3, 3, 8, 8)
    assert torch.equal(gradient(model, images, 1, rule="gradient"), gradient(model, images, 1))


def test_in_place_relu_on_a_tensor_autograd_still_needs_is_refused_as_torch_does():
    """In-place ReLUs must not silently corrupt autograd: overwriting a tensor that a backward
    needs (here sigmoid's output) must raise, with or without the rules."""
    x = torch.randn(4, requires_grad=True)
    for context in (relu_rules("guided"), torch.enable_grad()):
        with context:
            y = torch.sigmoid(x)
            y.relu_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def _relu_nodes(tensor):
    """Count the graph's nodes by name, walking from ``tensor.grad_fn``."""
    counts, seen, stack = {}, set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        counts[type(node).__name__] = counts.get(type(node).__name__, 0) + 1
        stack.extend(next_node for next_node, _ in node.next_functions)
    return counts


@pytest.fixture(scope="module")
def googlenet():
    from vizlab import load_model

    return load_model("googlenet", weights="random")


def test_every_functional_relu_of_googlenet_gets_the_rule(googlenet):
    """Count ReLU nodes in the autograd graph: without the rules GoogLeNet has N plain ReLU
    backward nodes; with them, none is left and there are N RuleReLU nodes."""
    images = torch.rand(1, 3, 64, 64, requires_grad=True)
    plain = _relu_nodes(googlenet(images))
    plain_relus = sum(v for k, v in plain.items() if k.startswith(("Relu", "Threshold")))
    with relu_rules("guided") as rules:
        ruled = _relu_nodes(googlenet(images))
    assert plain_relus == rules.calls == 57
    assert not any(k.startswith(("Relu", "Threshold")) for k in ruled)
    assert ruled["RuleReLUBackward"] == 57


def test_googlenet_guided_backprop_matches_captum_once_its_relus_are_modules(googlenet):
    """Captum only sees nn.ReLU modules: on GoogLeNet it silently returns the plain gradient.
    Give a copy of GoogLeNet ReLU modules, and Captum's answer must equal vizlab's on the original."""
    captum_attr = pytest.importorskip("captum.attr")
    import copy

    from torchvision.models.googlenet import BasicConv2d

    images = torch.rand(1, 3, 64, 64)
    ours = guided_backprop(googlenet, images, 3)

    scale = ours.abs().max()  # random weights give tiny gradients: compare relative to it
    trap = captum_attr.GuidedBackprop(googlenet).attribute(images.clone().requires_grad_(), target=3)
    torch.testing.assert_close(trap / scale, gradient(googlenet, images, 3) / scale)  # the trap vizlab avoids
    assert (ours - trap).abs().max() > 0.1 * scale

    with_modules = copy.deepcopy(googlenet)
    for block in with_modules.modules():
        if isinstance(block, BasicConv2d):
            block.relu = nn.ReLU()
            block.forward = types.MethodType(lambda self, x: self.relu(self.bn(self.conv(x))), block)
    oracle = captum_attr.GuidedBackprop(with_modules).attribute(images.clone().requires_grad_(), target=3)
    torch.testing.assert_close(ours / scale, oracle / scale, rtol=1e-4, atol=1e-5)


def test_rules_are_gone_after_the_block_even_when_the_forward_raises():
    class Broken(nn.Module):
        def forward(self, images):
            F.relu(images)
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        with relu_rules("deconvnet"):
            Broken()(torch.rand(2))
    assert torch._C._len_torch_function_stack() == 0
    x = torch.randn(6, requires_grad=True)
    assert F.relu(x).grad_fn.__class__.__name__.startswith(("Relu", "Threshold"))


def test_unknown_rule_names_the_choices():
    with pytest.raises(ValueError, match="gradient, guided, deconvnet"):
        relu_rules("lrp")


class PoolThatRaises(nn.MaxPool2d):
    """A pooling layer that raises while ``armed`` (vizlab refuses too-small images up front, so
    an error inside the forward pass is made on purpose)."""
    armed = True

    def forward(self, x):
        if self.armed:
            raise RuntimeError("raised inside the forward pass")
        return super().forward(x)


def test_model_unchanged_after_an_exception_inside_the_forward():
    model = tiny_net().train()  # a model in training mode stays in training mode
    model.pool1 = PoolThatRaises(2)  # conv1 and its in-place ReLU run, then pool1 raises
    before = snapshot(model)
    images = torch.rand(2, 3, 8, 8)
    with pytest.raises(RuntimeError):
        guided_backprop(model, images, 0)
    with pytest.raises(RuntimeError):
        project_unit(model, images, "conv2", 0)
    model.pool1.armed = False
    with pytest.raises(ValueError, match="out of range"):
        deconvnet(model, images, 9)
    assert_unchanged(model, before)
    assert torch._C._len_torch_function_stack() == 0 and hook_count(model) == 0
    assert isinstance(RuleReLU, type)
