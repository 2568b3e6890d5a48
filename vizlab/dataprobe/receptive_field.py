"""Receptive fields: which input pixels can change a unit, computed exactly.

For a chain of convolutions and poolings, each layer with kernel ``k``, stride ``s``, padding
``p`` and dilation ``d`` (effective kernel ``k_e = d (k - 1) + 1``) grows the field by

    r_out = r_in + (k_e - 1) j_in,     j_out = j_in s,     P_out = P_in + p j_in,

starting from ``r = 1, j = 1, P = 0`` at the input (``j`` is the *jump*: how far apart, in input
pixels, neighbouring units are; ``P`` the total padding in input pixels). Unit ``(y, x)`` then
sees the input rows ``[y j - P, y j - P + r)`` and the same for columns. This is the exact integer
rule of Yosinski's ``region_converter`` (``[a, b) -> [a s - p, (b - 1) s + k_e - p)``) applied
down to the input. See METHODS.md §2 and Zeiler & Fergus (2014).

The rule holds for a *chain*. Models that branch (Inception, ResNet blocks) get a clear error
here; ``measure_receptive_field`` measures any unit's field from the support of its gradient.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from .. import checks
from ..probe import Probe, _device, get_layer, without_grad

# Layers that act on each pixel alone (in eval mode): they leave the field as it is.
POINTWISE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.GELU, nn.SiLU, nn.Sigmoid,
             nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.BatchNorm2d, nn.Dropout, nn.Dropout2d, nn.Identity,
             nn.LocalResponseNorm)
WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
# After these, every unit sees the whole image.
GLOBAL = (nn.Flatten, nn.Linear)


class NotAChainError(ValueError):
    """The analytic receptive field does not apply to this layer (a branch, or an unknown layer type)."""


@dataclass(frozen=True)
class Box:
    """A unit's field in input pixels: rows ``[top, bottom)`` and columns ``[left, right)``.

    The box may leave the image (deep units near the border); ``visible`` is its part inside the
    image of ``image_size`` (H, W), and ``clipped`` says whether anything was cut off.
    """

    top: int
    left: int
    bottom: int
    right: int
    image_size: tuple[int, int]

    @property
    def size(self) -> tuple[int, int]:
        return self.bottom - self.top, self.right - self.left

    @property
    def visible(self) -> tuple[int, int, int, int]:
        h, w = self.image_size
        return max(self.top, 0), max(self.left, 0), min(self.bottom, h), min(self.right, w)

    @property
    def clipped(self) -> bool:
        return self.visible != (self.top, self.left, self.bottom, self.right)

    def crop(self, image: torch.Tensor) -> torch.Tensor:
        """The box cut from ``image`` (C, H, W): (C, bottom - top, right - left), zero outside the image."""
        top, left, bottom, right = self.visible
        out = image.new_zeros(image.shape[0], *self.size)
        out[:, top - self.top:bottom - self.top, left - self.left:right - self.left] = image[:, top:bottom, left:right]
        return out


@dataclass(frozen=True)
class Field:
    """The receptive field of the units of ``layer``, per axis (rows, columns).

    ``size`` r, ``jump`` j and ``padding`` P as in the module docstring; ``output_size`` is the
    layer's (H, W) for an input of ``input_size``. ``whole_image`` marks layers after a global
    pooling or a flatten, whose units see every pixel.
    """

    layer: str
    size: tuple[int, int]
    jump: tuple[int, int]
    padding: tuple[int, int]
    input_size: tuple[int, int]
    output_size: tuple[int, int]
    whole_image: bool = False

    @property
    def start(self) -> tuple[float, float]:
        """Centre of unit (0, 0) in input pixel coordinates (centre of the first pixel = 0)."""
        return tuple((r - 1) / 2 - p for r, p in zip(self.size, self.padding))

    def box(self, y: int, x: int) -> Box:
        """The input box that unit (y, x) sees; see ``Box`` for the part inside the image."""
        h, w = self.output_size
        if not (0 <= y < h and 0 <= x < w):
            raise IndexError(f"unit ({y}, {x}) is outside layer {self.layer!r}, whose units are "
                             f"y in 0..{h - 1}, x in 0..{w - 1} for a {self.input_size} input")
        if self.whole_image:
            return Box(0, 0, *self.input_size, self.input_size)
        top, left = y * self.jump[0] - self.padding[0], x * self.jump[1] - self.padding[1]
        return Box(top, left, top + self.size[0], left + self.size[1], self.input_size)


def receptive_fields(model: nn.Module, *, input_size=None) -> dict[str, Field]:
    """The field of every layer of the chain at the start of ``model``, in forward order.

    The chain is the model's children (and the children of nested ``nn.Sequential``), up to
    the first module that is neither a known layer nor a ``Sequential``. A forward pass checks
    that the layers run in this order and that each one's output has the shape the chain
    predicts; a branch breaks that and ends the chain. ``input_size`` is (H, W) or an int.
    """
    size = _input_size(model, input_size)
    layers = _chain_layers(model)
    shapes = _output_shapes(model, [name for name, _ in layers], size)
    fields, r, j, p = {}, (1, 1), (1, 1), (0, 0)
    hw, channels, whole = size, 3, False
    for name, module in layers:
        if list(shapes)[len(fields):len(fields) + 1] != [name]:
            break  # not called, or called out of order: the chain ends here
        out = shapes[name]
        if whole or isinstance(module, GLOBAL) or _is_global_pool(module, hw, out):
            whole = True
        elif isinstance(module, WINDOWED):
            k, s, pad, d = _geometry(module)
            k_e = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
            expected = tuple(_out_len(n, ke, si, pi, module) for n, ke, si, pi in zip(hw, k_e, s, pad))
            if out[-2:] != expected or (isinstance(module, nn.Conv2d) and module.in_channels != channels):
                break
            r = tuple(ri + (ke - 1) * ji for ri, ke, ji in zip(r, k_e, j))
            p = tuple(pi + qi * ji for pi, qi, ji in zip(p, pad, j))
            j = tuple(ji * si for ji, si in zip(j, s))
        elif not (isinstance(module, POINTWISE) or _is_identity_pool(module, hw, out)) or out[-2:] != hw:
            break
        if len(out) == 3:
            channels, hw = out[0], out[-2:]
        fields[name] = Field(name, r, j, p, size, hw if len(out) == 3 else (1, 1), whole)
    return fields


def receptive_field(model: nn.Module, layer: str, *, input_size=None) -> Field:
    """The field of ``layer``; ``NotAChainError`` names the layer where the analytic rule stops."""
    get_layer(model, checks.layer_name(layer))  # an unknown name gets the list of layers
    fields = receptive_fields(model, input_size=input_size)
    if layer in fields:
        return fields[layer]
    if isinstance(get_layer(model, layer), nn.Sequential) and fields:
        last = [n for n in fields if n.startswith(layer + ".")]
        if last:
            return fields[last[-1]]
    names, stop = [n for n, _ in _chain_layers(model)], None
    stop = next((n for n in names if n not in fields), None)
    where = f"the chain stops at layer {stop!r}" if stop else "it is not in the model's chain of layers"
    raise NotAChainError(
        f"No analytic receptive field for layer {layer!r}: {where} (a branch, a functional operation, "
        f"or a layer type the rule does not know). Analytic layers: {', '.join(fields) or 'none'}. "
        f"Use measure_receptive_field(model, {layer!r}) to measure it from the gradient.")


def measure_receptive_field(model: nn.Module, layer: str, *, unit=None, input_size=None) -> Box:
    """The field of one unit of ``layer`` measured as the support of its gradient (any model).

    It runs on a copy of the model in float64 with every weight set to 1, biases and BatchNorm
    shifts set to 0, ReLUs removed and max-poolings turned into average poolings (so the gradient
    reaches every pixel of each window, not just one). With all weights positive no path can
    cancel, so the gradient is nonzero exactly on the pixels the unit can see (METHODS.md §2).
    ``unit`` is (y, x), the centre of the layer by default. The box is the bounding box of the
    support inside the image: a field that leaves the image shows up clipped (``box.clipped``
    is then unknown, so make ``input_size`` large enough that a central unit fits).
    """
    size = _input_size(model, input_size)
    get_layer(model, checks.layer_name(layer))
    if unit is not None and (not isinstance(unit, (tuple, list)) or len(unit) != 2):
        raise TypeError(f"unit must be (y, x) or None for the centre, got {checks._show(unit)}")
    ones = _all_ones_copy(model)
    image = torch.ones(1, 3, *size, dtype=torch.float64, device=_device(model), requires_grad=True)
    act = Probe(ones, layer, stop_early=True).run(image)[layer]
    if act.dim() != 4:
        raise ValueError(f"layer {layer!r} has no spatial units (output shape {tuple(act.shape[1:])})")
    h, w = act.shape[-2:]
    y, x = unit if unit is not None else (h // 2, w // 2)
    if not (0 <= y < h and 0 <= x < w):
        raise IndexError(f"unit ({y}, {x}) is outside layer {layer!r}: y in 0..{h - 1}, x in 0..{w - 1}")
    (grad,) = torch.autograd.grad(act[0, 0, y, x], image)
    rows, cols = torch.nonzero(grad[0].abs().sum(0), as_tuple=True)
    return Box(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1, size)


def _all_ones_copy(model: nn.Module) -> nn.Module:
    ones = copy.deepcopy(model).double()
    for name, module in list(ones.named_modules()):
        for param_name, param in module.named_parameters(recurse=False):
            param.requires_grad_(False).fill_(0.0 if param_name == "bias" else 1.0)
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.zero_(), module.running_var.fill_(1.0)
        for child_name, child in module.named_children():
            if isinstance(child, nn.ReLU):
                setattr(module, child_name, nn.Identity())
            elif isinstance(child, nn.MaxPool2d):
                setattr(module, child_name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding,
                                                         ceil_mode=child.ceil_mode))
    for buffer in ("input_mean", "input_std"):  # vizlab's normalization: make it the identity
        if hasattr(ones, buffer):
            getattr(ones, buffer).fill_(0.0 if buffer == "input_mean" else 1.0)
    return ones.eval()


def _chain_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The leaf layers in registration order, entering ``nn.Sequential`` containers, up to the
    first other container (whose forward could do anything)."""
    layers: list[tuple[str, nn.Module]] = []

    def walk(module: nn.Module, prefix: str) -> bool:
        for name, child in module.named_children():
            if isinstance(child, nn.Sequential):
                if not walk(child, f"{prefix}{name}."):
                    return False
            elif next(child.children(), None) is None:
                layers.append((f"{prefix}{name}", child))
            else:
                return False
        return True

    walk(model, "")
    return layers


def _output_shapes(model, names, size) -> dict[str, tuple]:
    """Each layer's output shape (without the batch), in the order the layers ran."""
    if not names:
        return {}
    acts = without_grad(Probe(model, names).run, torch.rand(1, 3, *size, device=_device(model)))
    return {name: tuple(act.shape[1:]) for name, act in acts.items()}


def _geometry(module) -> tuple[tuple, tuple, tuple, tuple]:
    k, s = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
    d = _pair(getattr(module, "dilation", 1))
    pad = module.padding
    if pad == "valid":
        pad = 0
    elif pad == "same":  # stride 1; PyTorch puts the odd pixel of padding on the right
        pad = tuple(di * (ki - 1) // 2 for ki, di in zip(k, d))
    return k, s, _pair(pad), d


def _out_len(n, k_e, s, p, module) -> int:
    span = n + 2 * p - k_e
    if getattr(module, "ceil_mode", False):
        out = -(-span // s) + 1
        return out - 1 if (out - 1) * s >= n + p else out  # the last window must start inside
    return span // s + 1


def _is_global_pool(module, hw, out) -> bool:
    adaptive = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    return isinstance(module, adaptive) and len(out) == 3 and out[-2:] == (1, 1) and hw != (1, 1)


def _is_identity_pool(module, hw, out) -> bool:
    adaptive = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    return isinstance(module, adaptive) and len(out) == 3 and out[-2:] == hw


def _input_size(model: nn.Module, input_size) -> tuple[int, int]:
    """``input_size`` checked (0 is not "the default": None is), or the model's ``input_size``."""
    if input_size is None:
        return _pair(getattr(model, "input_size", 224))
    hw = checks.size(input_size, "input_size", hint=" (or None for the model's input_size)")
    checks.image_fits(model, hw, "input_size")
    return hw


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)
