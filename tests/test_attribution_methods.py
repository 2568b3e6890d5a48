"""Saliency, SmoothGrad, Grad-CAM, guided Grad-CAM and unit projection: analytic cases, Captum as
an independent oracle on models built from nn.ReLU modules, targets and errors."""
import pytest
import torch
from torch import nn

from conftest import assert_unchanged, snapshot, tiny_net
from vizlab.attribution import (channel_max, deconvnet, gradcam, gradient, guided_backprop, guided_gradcam,
                                project_unit, saliency, smoothgrad)


@pytest.fixture
def images():
    from vizlab import make_shapes

    return make_shapes(3, seed=5).images


# ---- Captum as an oracle (ShapeNet is built from nn.ReLU modules) ------------------------------

def _captum(method_name, model, images, target, **kwargs):
    captum_attr = pytest.importorskip("captum.attr")
    return getattr(captum_attr, method_name)(model, **kwargs.pop("init", {})).attribute(
        images.clone().requires_grad_(), target=target, **kwargs)


def test_saliency_matches_captum(shapenet, images):
    oracle = _captum("Saliency", shapenet, images, 2, abs=True)
    torch.testing.assert_close(saliency(shapenet, images, 2), oracle.amax(1))
    torch.testing.assert_close(gradient(shapenet, images, 2), _captum("Saliency", shapenet, images, 2, abs=False))


@pytest.mark.parametrize("ours, theirs", [(guided_backprop, "GuidedBackprop"), (deconvnet, "Deconvolution")])
def test_guided_backprop_and_deconvnet_match_captum(shapenet, images, ours, theirs):
    oracle = _captum(theirs, shapenet, images, [1, 4, 6])
    torch.testing.assert_close(ours(shapenet, images, [1, 4, 6]), oracle, rtol=1e-4, atol=1e-6)


def test_gradcam_matches_captum(shapenet, images):
    captum_attr = pytest.importorskip("captum.attr")
    oracle = captum_attr.LayerGradCam(shapenet, shapenet.conv3).attribute(images, target=5, relu_attributions=True)
    torch.testing.assert_close(gradcam(shapenet, images, 5, layer="conv3", upsample=False), oracle[:, 0],
                               rtol=1e-4, atol=1e-6)


def test_guided_gradcam_matches_captum(shapenet, images):
    captum_attr = pytest.importorskip("captum.attr")
    oracle = captum_attr.GuidedGradCam(shapenet, shapenet.conv4).attribute(images.clone().requires_grad_(), target=0,
                                                                          interpolate_mode="bilinear")
    torch.testing.assert_close(guided_gradcam(shapenet, images, 0, layer="conv4"), oracle, rtol=1e-4, atol=1e-6)


# ---- Grad-CAM ---------------------------------------------------------------------------------

def test_gradcam_of_conv_avgpool_linear_is_the_class_activation_map():
    """With no ReLU after the conv, dS_c/dA_k = W_ck / (h w): Grad-CAM is ReLU(sum_k W_ck A_k)/(h w)."""
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("conv", nn.Conv2d(3, 5, 3, padding=1))
    model.add_module("pool", nn.AdaptiveAvgPool2d(1))
    model.add_module("flat", nn.Flatten())
    model.add_module("fc", nn.Linear(5, 4))
    images = torch.rand(2, 3, 6, 6)
    acts = model.conv(images).detach()
    want = torch.einsum("k,bkij->bij", model.fc.weight[2].detach(), acts).clamp(min=0) / 36
    torch.testing.assert_close(gradcam(model, images, 2, layer="conv", upsample=False), want)
    assert gradcam(model, images, 2, layer="conv").shape == (2, 6, 6)


def test_gradcam_before_an_in_place_relu_uses_the_pre_relu_activation():
    """tiny_net's conv1 is followed by ReLU(inplace=True); the result must equal the same net
    with an ordinary ReLU."""
    images = torch.rand(2, 3, 8, 8)
    in_place = tiny_net()
    ordinary = tiny_net()
    ordinary.relu1.inplace = False
    torch.testing.assert_close(gradcam(in_place, images, 1, layer="conv1"), gradcam(ordinary, images, 1, layer="conv1"))
    assert gradcam(in_place, images, 1, layer="conv1").abs().sum() > 0


def test_gradcam_defaults_to_the_last_relu_where_it_is_the_class_activation_map(shapenet, images):
    """ShapeNet ends relu4 -> global average pool -> fc, so at relu4 dS_c/dA_k = w_ck / (h w):
    Grad-CAM there is CAM, ReLU(sum_k w_ck A_k) / (h w), computed here from relu4's activations."""
    from vizlab import capture
    from vizlab.attribution.gradcam import default_layer

    assert default_layer(shapenet) == "relu4"
    acts = capture(shapenet, images, "relu4")["relu4"]
    cam = torch.einsum("k,bkij->bij", shapenet.fc.weight[3], acts).clamp(min=0) / acts[0, 0].numel()
    torch.testing.assert_close(gradcam(shapenet, images, 3, upsample=False), cam, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(guided_gradcam(shapenet, images, 3),
                               guided_gradcam(shapenet, images, 3, layer="relu4"))


def test_gradcam_default_layer_without_relu_modules():
    conv_only = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(4, 2))
    conv_only.input_size = 8
    from vizlab.attribution.gradcam import default_layer

    assert default_layer(conv_only) == "1"                           # the last map larger than 1x1
    flat = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2))
    flat.input_size = 8
    with pytest.raises(ValueError, match="spatial output"):
        gradcam(flat, torch.rand(1, 3, 8, 8), 0)


def test_gradcam_needs_a_spatial_layer(shapenet, images):
    with pytest.raises(ValueError, match="convolutional layer"):
        gradcam(shapenet, images, layer="fc")


# ---- SmoothGrad ---------------------------------------------------------------------------------

def test_smoothgrad_without_noise_is_saliency(shapenet, images):
    torch.testing.assert_close(smoothgrad(shapenet, images, 3, samples=4, noise=0.0), saliency(shapenet, images, 3))


def test_smoothgrad_of_a_linear_model_is_its_weights_whatever_the_noise():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2)).eval()
    weight = model[1].weight.detach().view(2, 3, 4, 4)
    got = smoothgrad(model, torch.rand(1, 3, 4, 4), 1, samples=7, noise=0.3, signed=True)
    torch.testing.assert_close(got[0], weight[1])


def test_signed_smoothgrad_of_a_quadratic_averages_to_its_gradient():
    """S = x^T A x / 2 has gradient A x; SmoothGrad is A (x + mean noise) -> A x (error ~ sigma/sqrt(n))."""
    torch.manual_seed(0)
    a = torch.randn(12, 12)
    a = a @ a.T / 12

    class Quadratic(nn.Module):
        def forward(self, images):
            x = images.flatten(1)
            return 0.5 * ((x @ a) * x).sum(1, keepdim=True)

    images = torch.rand(1, 3, 2, 2)
    exact = (images.flatten(1) @ a).view(1, 3, 2, 2)
    few = smoothgrad(Quadratic(), images, 0, samples=4, noise=0.5, signed=True)
    many = smoothgrad(Quadratic(), images, 0, samples=4000, noise=0.5, signed=True)
    assert (many - exact).norm() < 0.1 * (few - exact).norm()
    assert (many - exact).abs().max() < 0.05


def test_smoothgrad_is_reproducible_with_its_generator(shapenet, images):
    run = lambda seed: smoothgrad(shapenet, images, samples=5, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(run(1), run(1)) and not torch.equal(run(1), run(2))
    # the batch size is an implementation detail
    torch.testing.assert_close(smoothgrad(shapenet, images, samples=5, batch_size=3), run(0))


def test_smoothgrad_explains_the_clean_images_class():
    """A callable target and None (the clean prediction) give every noisy copy the same class."""
    model = tiny_net()
    images = torch.rand(2, 3, 8, 8)
    predicted = model(images).argmax(1)
    torch.testing.assert_close(smoothgrad(model, images, None, samples=6, noise=0.5),
                               smoothgrad(model, images, predicted, samples=6, noise=0.5))


def test_smoothgrad_rejects_bad_settings(shapenet, images):
    with pytest.raises(ValueError, match="samples"):
        smoothgrad(shapenet, images, samples=0)
    with pytest.raises(ValueError, match="noise"):
        smoothgrad(shapenet, images, noise=-1)


# ---- projection of one unit ----------------------------------------------------------------------

def test_projection_of_a_hidden_unit_with_the_deconvnet_is_its_weights_times_its_value():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 2))
    images = torch.rand(4, 3, 2, 2)
    value = model[2](model[1](images.flatten(1))).detach()[:, 3]            # (4,)
    got = project_unit(model, images, "2", 3)
    torch.testing.assert_close(got.flatten(1), value[:, None] * model[1].weight[3].detach())


def test_projection_with_the_gradient_rule_is_the_units_gradient(shapenet, images):
    position = (5, 2)
    x = images.clone().requires_grad_()
    with torch.enable_grad():
        out = shapenet.conv3(shapenet.pool2(shapenet.relu2(shapenet.conv2(shapenet.relu1(shapenet.conv1((x - 0.5) / 0.25))))))
        unit = out[:, 7, position[0], position[1]]
        (grad,) = torch.autograd.grad((unit.detach() * unit).sum(), x)
    torch.testing.assert_close(project_unit(shapenet, images, "conv3", 7, position=position, rule="gradient"), grad)


def test_projection_keeps_the_strongest_position_by_default(shapenet, images):
    from vizlab import capture

    acts = capture(shapenet, images, "relu3")["relu3"][:, 9]
    strongest = acts.flatten(1).argmax(1)
    for b in range(len(images)):
        i, j = divmod(int(strongest[b]), acts.shape[-1])
        torch.testing.assert_close(project_unit(shapenet, images[b:b + 1], "relu3", 9)[0],
                                   project_unit(shapenet, images[b:b + 1], "relu3", 9, position=(i, j))[0])


def test_projection_errors_name_the_range(shapenet, images):
    with pytest.raises(ValueError, match=r"channels 0\.\.63"):
        project_unit(shapenet, images, "relu3", 64)
    with pytest.raises(ValueError, match="outside"):
        project_unit(shapenet, images, "relu3", 1, position=(16, 0))
    with pytest.raises(ValueError, match="Unknown layer"):
        project_unit(shapenet, images, "relu33", 1)


# ---- targets, inputs, hygiene -------------------------------------------------------------------

def test_targets_index_callable_and_predicted_agree(shapenet, images):
    predicted = shapenet(images).argmax(1)
    by_index = gradient(shapenet, images, predicted)
    torch.testing.assert_close(gradient(shapenet, images), by_index)
    torch.testing.assert_close(gradient(shapenet, images, lambda logits: logits.gather(1, predicted[:, None])[:, 0]),
                               by_index)
    # logits, not softmax: the softmax gradient is a different map
    softmax = gradient(shapenet, images, lambda logits: logits.softmax(1).gather(1, predicted[:, None])[:, 0])
    assert not torch.allclose(softmax, by_index)


def test_bad_targets_are_clear_errors(shapenet, images):
    with pytest.raises(ValueError, match=r"out of range.*0\.\.7"):
        saliency(shapenet, images, 8)
    with pytest.raises(ValueError, match="2 targets for 3 images"):
        saliency(shapenet, images, [0, 1])
    with pytest.raises(ValueError, match="one score per image"):
        saliency(shapenet, images, lambda logits: logits.sum())


def test_one_image_without_a_batch_dimension(shapenet, images):
    assert saliency(shapenet, images[0], 1).shape == (1, 64, 64)


@pytest.mark.parametrize("method", [
    lambda m, x: gradient(m, x, 0), lambda m, x: guided_backprop(m, x, 0), lambda m, x: deconvnet(m, x, 0),
    lambda m, x: saliency(m, x, 0), lambda m, x: smoothgrad(m, x, 0, samples=3),
    lambda m, x: gradcam(m, x, 0, layer="conv2"), lambda m, x: guided_gradcam(m, x, 0, layer="conv2"),
    lambda m, x: project_unit(m, x, "conv2", 1, rule="guided"),
])
def test_every_method_leaves_model_and_images_as_found(method):
    for frozen in (False, True):
        model = tiny_net().requires_grad_(not frozen)
        before = snapshot(model)
        images = torch.rand(2, 3, 8, 8)
        copy = images.clone()
        method(model, images)
        assert_unchanged(model, before)  # no .grad on parameters, same flags, no hooks
        assert torch.equal(images, copy) and images.grad is None and not images.requires_grad


def test_channel_max_is_the_largest_magnitude_over_colours():
    grad = torch.tensor([[[[1.0]], [[-3.0]], [[2.0]]]])
    assert channel_max(grad).item() == 3.0


def test_gradient_agrees_with_central_finite_differences_in_float64():
    """METHODS.md §4: on a tiny conv net in float64, relative error < 1e-5."""
    model = tiny_net().double()
    images = torch.rand(1, 3, 4, 4, dtype=torch.float64)
    grad = gradient(model, images, 3)
    assert grad.dtype == torch.float64
    numeric = torch.zeros_like(images)
    h = 1e-6
    with torch.no_grad():
        for k in range(images.numel()):
            step = torch.zeros(images.numel(), dtype=torch.float64)
            step[k] = h
            step = step.view_as(images)
            numeric.view(-1)[k] = (model(images + step)[0, 3] - model(images - step)[0, 3]) / (2 * h)
    assert ((grad - numeric).norm() / numeric.norm()) < 1e-5
    assert smoothgrad(model, images, 3, samples=2).dtype == torch.float64
