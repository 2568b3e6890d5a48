"""Ctrl-C at any moment leaves nothing behind: no hook, no ReLU-rule mode, no grad-mode change.

The hard way: run each path once to count the lines of vizlab it executes, then run it again
once per line with a KeyboardInterrupt raised exactly there (``sys.settrace``), and check after
each interrupt that the model is clean, unchanged and still computes the right thing.
"""
import sys
from pathlib import Path

import pytest
import torch

import vizlab
from conftest import hook_count, snapshot, assert_unchanged
from vizlab import Probe, ascend, capture, list_layers
from vizlab.ascent import channel, jitter, total_variation
from vizlab.attribution import (deconvnet, gradcam, gradient, guided_backprop, guided_gradcam, project_unit,
                                saliency, smoothgrad)
from vizlab.relu_rules import relu_rules

VIZLAB = str(Path(vizlab.__file__).parent)


class Interrupter:
    """Counts the line events in vizlab's files; with ``at=k`` raises KeyboardInterrupt at the k-th."""

    def __init__(self, at: int | None = None):
        self.at, self.count = at, 0

    def __call__(self, frame, event, arg):
        if not frame.f_code.co_filename.startswith(VIZLAB):
            return None
        return self.local

    def local(self, frame, event, arg):
        if event == "line":
            self.count += 1
            if self.count == self.at:
                raise KeyboardInterrupt(f"injected at {frame.f_code.co_filename}:{frame.f_lineno}")
        return self.local


def traced(call, interrupter):
    sys.settrace(interrupter)
    try:
        call()
    finally:
        sys.settrace(None)


def modes() -> int:
    return torch._C._len_torch_function_stack()


def paths(net):
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))

    def drain(frames):
        for _ in frames:
            pass

    def probe_by_hand():
        with Probe(net, ["conv1", "conv2"]) as probe:
            net(x)
        return probe.acts

    return {
        "capture": lambda: capture(net, x, ["conv1", "relu2"], batch_size=1),
        "list_layers": lambda: list_layers(net, 8),
        "probe_run": lambda: Probe(net, "conv2", stop_early=True).run(x),
        "probe_with": probe_by_hand,
        "ascend": lambda: drain(ascend(net, channel("conv2", 1), size=8, steps=3, every=1, redirect_steps=2,
                                       param="pixels", transforms=[jitter(1)], regularizers=[total_variation(0.1)])),
        "saliency": lambda: saliency(net, x),
        "guided": lambda: guided_backprop(net, x),
        "deconvnet": lambda: deconvnet(net, x, target=1),
        "gradient_rule": lambda: gradient(net, x, rule="guided"),
        "gradcam": lambda: gradcam(net, x, layer="relu2"),
        "guided_gradcam": lambda: guided_gradcam(net, x, layer="conv2"),
        "project_unit": lambda: project_unit(net, x, "conv2", 1),
        "smoothgrad": lambda: smoothgrad(net, x, samples=2, batch_size=1),
        "relu_rules": lambda: _rules_block(net, x),
    }


def _rules_block(net, x):
    with relu_rules("guided"):
        net(x).sum()


@pytest.mark.parametrize("name", list(paths(None)))
def test_an_interrupt_at_any_line_leaves_the_model_clean_and_correct(net, name):
    call = paths(net)[name]
    x = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    expected = net(x)
    before, grad_mode, stack = snapshot(net), torch.is_grad_enabled(), modes()
    counter = Interrupter()
    traced(call, counter)
    assert counter.count > 5, "the path ran no vizlab code"
    for k in range(1, counter.count + 1):
        try:
            traced(call, Interrupter(at=k))
        except KeyboardInterrupt:
            pass
        where = f"{name}, interrupt at line event {k} of {counter.count}"
        assert hook_count(net) == 0, where
        assert modes() == stack, where
        assert torch.is_grad_enabled() == grad_mode, where
        assert_unchanged(net, before)
        assert torch.equal(net(x), expected), where
