import pytest
import torch

from conftest import assert_unchanged, hook_count, snapshot
from vizlab import Probe, UnknownLayerError, capture, get_layer, layer_names, list_layers


def test_capture_records_the_requested_layers_with_their_shapes(net):
    acts = capture(net, torch.rand(2, 3, 8, 8), ["conv1", "conv2", "fc"])
    assert acts["conv1"].shape == (2, 4, 8, 8)
    assert acts["conv2"].shape == (2, 6, 4, 4)


def test_captured_values_equal_a_manual_forward(net):
    images = torch.rand(3, 3, 8, 8)
    acts = capture(net, images, ["conv1", "conv2"])
    conv1 = net.conv1(images)
    assert torch.allclose(acts["conv1"], conv1)
    assert torch.allclose(acts["conv2"], net.conv2(net.pool1(torch.relu(conv1))))


def test_in_place_relu_does_not_overwrite_a_captured_conv_output(net):
    acts = capture(net, torch.rand(4, 3, 8, 8), ["conv1"])
    assert (acts["conv1"] < 0).any(), "conv1 was overwritten by the in-place ReLU after it"


def test_functional_in_place_relu_does_not_overwrite_a_captured_output(functional_net):
    acts = capture(functional_net, torch.rand(4, 3, 8, 8), ["conv"])
    assert (acts["conv"] < 0).any()


def test_unknown_layer_names_the_closest_matches_and_the_layers(net):
    with pytest.raises(UnknownLayerError) as error:
        get_layer(net, "conv3")
    message = str(error.value)
    assert "'conv3'" in message and "'conv1'" in message and "relu2" in message
    with pytest.raises(UnknownLayerError):
        capture(net, torch.rand(1, 3, 8, 8), ["conv1", "nope"])
    assert hook_count(net) == 0


def test_no_hook_remains_after_normal_use_an_exception_or_a_stopped_forward(net):
    before = snapshot(net)
    with Probe(net, ["conv1", "relu2"]) as probe:
        net(torch.rand(1, 3, 8, 8))
        assert hook_count(net) == 3  # one per layer, and one that starts each forward pass
    assert set(probe.acts) == {"conv1", "relu2"}
    assert_unchanged(net, before)

    with pytest.raises(ZeroDivisionError):
        with Probe(net, "conv2"):
            net(torch.rand(1, 3, 8, 8))
            1 / 0
    assert_unchanged(net, before)

    with Probe(net, "conv1", stop_early=True) as probe:
        probe.run(torch.rand(1, 3, 8, 8))
    assert_unchanged(net, before)

    probe.remove()  # idempotent
    assert hook_count(net) == 0


def test_stop_early_skips_the_layers_after_the_last_requested_one(net):
    calls = []
    handle = net.fc.register_forward_hook(lambda *args: calls.append(1))
    try:
        images = torch.rand(2, 3, 8, 8)
        with Probe(net, "conv2", stop_early=True) as probe:
            early = probe.run(images)["conv2"]
        assert not calls
        assert torch.equal(early, capture(net, images, "conv2")["conv2"])
    finally:
        handle.remove()


def test_the_output_that_ends_a_stop_early_pass_is_kept_without_a_copy_unless_it_is_borrowed():
    seen = {}
    model = torch.nn.Sequential()
    model.add_module("conv", torch.nn.Conv2d(3, 2, 3))
    model.add_module("same", torch.nn.Identity())                 # returns its input: borrowed
    model.add_module("flat", torch.nn.Flatten())                  # returns a view: borrowed
    model.conv.register_forward_hook(lambda module, inputs, output: seen.update(conv=output))
    images = torch.rand(1, 3, 6, 6)
    own = Probe(model, "conv", stop_early=True).run(images)["conv"]
    assert own is seen["conv"]                                     # nothing ran after it: no copy
    assert Probe(model, "conv").run(images)["conv"] is not seen["conv"]   # the pass went on: a copy
    for layer in ("same", "flat"):
        act = Probe(model, layer, stop_early=True).run(images)[layer]
        act.zero_()
        assert (seen["conv"] != 0).any(), f"{layer}: the recorded output shares memory with the pass"


def test_captures_keep_their_gradient_history_outside_no_grad(net):
    images = torch.rand(1, 3, 8, 8, requires_grad=True)
    with Probe(net, "conv2") as probe:
        net(images)
    probe.acts["conv2"].sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


def test_capture_in_chunks_equals_capture_at_once(net):
    images = torch.rand(7, 3, 8, 8)
    assert torch.allclose(capture(net, images, "conv2", batch_size=3)["conv2"], capture(net, images, "conv2")["conv2"])


def test_list_layers_gives_every_layer_with_its_output_shape(net):
    table = list_layers(net, (3, 16, 16))
    assert [row.name for row in table] == layer_names(net)
    shapes = {row.name: row.output_shape for row in table}
    assert shapes["conv1"] == (4, 16, 16) and shapes["pool1"] == (4, 8, 8) and shapes["fc"] == (5,)
    assert {row.name: row.parameters for row in table}["conv1"] == 4 * 3 * 9 + 4
    assert "conv2" in str(table) and "4x8x8" in str(table)
    assert hook_count(net) == 0


def test_list_layers_removes_its_hooks_when_the_forward_fails(net):
    def broken(x):
        raise RuntimeError("broken layer")
    net.conv2.forward = broken
    with pytest.raises(RuntimeError, match="broken layer"):
        list_layers(net, (3, 8, 8))
    assert hook_count(net) == 0


def test_shapenet_layers_have_readable_names(shapenet):
    names = layer_names(shapenet)
    assert names[:3] == ["conv1", "relu1", "conv2"] and names[-1] == "fc"
    shapes = {row.name: row.output_shape for row in list_layers(shapenet)}
    assert shapes["conv1"] == (16, 32, 32) and shapes["fc"] == (8,)


def test_acts_hold_the_latest_forward_pass_and_a_reused_module_its_first_call():
    relu = torch.nn.ReLU()
    model = torch.nn.Module()
    model.relu = relu
    model.forward = lambda x: relu(relu(x) - 1)  # the same module runs twice
    x = torch.tensor([[-1.0, 2.0, 3.0]])
    with Probe(model, "relu") as probe:
        model(x)
        assert torch.equal(probe.acts["relu"], torch.relu(x))
        model(x + 10)
        assert torch.equal(probe.acts["relu"], torch.relu(x + 10))
