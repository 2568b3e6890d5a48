"""Checks on what a user passes in: one place, cheap, and every message says what was wrong,
what is allowed and how to fix it.

Each check raises a ``ValueError`` (a wrong value) or a ``TypeError`` (a wrong kind of thing)
from vizlab, *before* torch sees the input, so the traceback ends here rather than deep inside
torch. Numbers are checked as Python scalars and models by walking their modules once: nothing
here passes over a tensor's data (that is ``images.as_batch``'s single ``aminmax``).
``bool`` is never accepted as a number (``True`` is an ``int`` in Python, but ``steps=True``
is a mistake), and ``0`` is never read as "the default": pass ``None`` for that.
"""
from __future__ import annotations

import difflib
import math
import numbers
from typing import Sequence

from torch import nn


def integer(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
            hint: str = "") -> int:
    """``value`` as an ``int`` in [minimum, maximum]; numpy integers are accepted."""
    allowed = _range_text(minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{allowed}, got {_show(value)}{hint}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer{allowed}, got {value}{hint}")
    return value


def number(value, name: str, *, positive: bool = False, minimum: float | None = None,
           maximum: float | None = None, hint: str = "") -> float:
    """``value`` as a finite ``float``; ``positive`` means > 0, ``minimum``/``maximum`` inclusive."""
    allowed = (" > 0" if positive else "") + _range_text(minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number{allowed}, got {_show(value)}{hint}")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0) or \
            (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be a finite number{allowed}, got {value!r}{hint}")
    return value


def seed(value, name: str = "seed"):
    """An ``int`` seed, or ``None`` for a fresh random one."""
    if value is None:
        return None
    return integer(value, name, minimum=0, hint=" (or None for a random seed)")


def size(value, name: str, *, minimum: int = 1, hint: str = "") -> tuple[int, int]:
    """An image size: an int (square) or (height, width), each at least ``minimum`` pixels."""
    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    allowed = f"an int >= {minimum} or (height, width) with both >= {minimum}"
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or \
            any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in pair):
        raise TypeError(f"{name} must be {allowed}, got {_show(value)}{hint}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be {allowed}, got {value!r}{hint}")
    return int(pair[0]), int(pair[1])


def start_images(shape: Sequence[int], name: str, *, size: tuple[int, int] | None, batch: int) -> None:
    """The shape (n, 3, H, W) of the images an optimization starts from: ``n`` is 1 (copied to
    every slot) or ``batch``, and (H, W) is ``size`` when one is asked for. (Their values, finite
    and in [0, 1], are ``images.as_batch``'s check: this one never reads the data.)"""
    n, hw = int(shape[0]), (int(shape[-2]), int(shape[-1]))
    if n not in (1, batch):
        raise ValueError(f"{name} holds {n} images for batch={batch}: give one image (copied to every "
                         f"slot) or exactly batch of them, shaped (B, 3, H, W)")
    if size is not None and hw != tuple(size):
        raise ValueError(f"{name} is {hw[0]}x{hw[1]} pixels but size is {size[0]}x{size[1]}: give images "
                         f"of that size (vizlab.load_image(..., size=...) resizes one), or size=None to "
                         f"take the images' own size")


def choice(value, name: str, options: Sequence, *, hint: str = ""):
    """``value`` if it is one of ``options`` (the same type and equal: ``True`` is not ``1``).

    Otherwise a ``ValueError`` that lists the options (the closest first, for a misspelt
    name), or a ``TypeError`` when the options are names and ``value`` is not a ``str``."""
    options = list(options)
    if any(type(value) is type(option) and value == option for option in options):
        return value
    shown = ", ".join(map(repr, options[:40])) + (f", ... ({len(options)} in all)" if len(options) > 40 else "")
    by_case = {o.lower(): o for o in options if isinstance(o, str)}     # 'PGD' is close to 'pgd'
    close = [by_case[c] for c in difflib.get_close_matches(value.lower(), list(by_case), n=3, cutoff=0.5)] \
        if isinstance(value, str) else []
    closest = f" (closest: {', '.join(map(repr, close))})" if close else ""
    names = options and all(isinstance(o, str) for o in options)
    error = TypeError if names and not isinstance(value, str) else ValueError
    raise error(f"{name} must be one of {shown or '(none: the model has no such choice)'}; "
                f"got {_show(value)}{closest}{hint}")


def layer_name(value, name: str = "layer") -> str:
    """A layer's dotted name (a non-empty ``str``), as ``vizlab.list_layers(model)`` prints them."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a layer name (a non-empty str) such as 'conv3', got {_show(value)}. "
                        f"See vizlab.list_layers(model) for the names")
    return value


def layer_names(value, name: str = "layers") -> list[str]:
    """One layer name or a non-empty list of them."""
    if isinstance(value, str):
        return [layer_name(value, name)]
    if not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a layer name such as 'conv3' or a non-empty list of names, "
                        f"got {_show(value)}. See vizlab.list_layers(model) for the names")
    return [layer_name(v, f"each of {name}") for v in value]


def unit(value, name: str = "unit"):
    """A channel/class index (int >= 0), or a list of them (one per image)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return integer(value, name, minimum=0)
    if hasattr(value, "tolist") and hasattr(value, "dtype") and getattr(value, "ndim", 2) <= 1:
        value = value.tolist()                     # a tensor or numpy array of indices
        value = value if isinstance(value, list) else [value]
    if isinstance(value, (list, tuple)) and value:
        return [integer(v, f"each {name}", minimum=0) for v in value]
    raise TypeError(f"{name} must be an index (an int >= 0) or a list of them, one per image; "
                    f"got {_show(value)}")


def callable_or_none(value, name: str, example: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function ({example}) or None, got {_show(value)}")


# Layers that compute something else in training mode (and BatchNorm changes its buffers).
MODE_DEPENDENT = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm,
                  nn.modules.dropout._DropoutNd)


def model(value, what: str) -> nn.Module:
    """A ``torch.nn.Module`` whose mode-dependent layers (BatchNorm, Dropout, ...) are in eval mode.

    vizlab never switches a model's mode itself: a model may be shared with an explorer running
    on another thread, and flipping ``training`` under it would change that run. In training mode
    BatchNorm would update its running statistics on vizlab's images and Dropout would zero
    random units, so the answer would be wrong and the model changed: refused, with the fix.
    Layers that behave the same in both modes (conv, ReLU, pooling) may stay in training mode.
    """
    if not isinstance(value, nn.Module):
        raise TypeError(f"{what} needs a torch.nn.Module as its model, got {_show(value)}; "
                        f"e.g. vizlab.load_model('shapenet')")
    for module in value.modules():              # modules(), not named_modules(): no names unless needed
        if module.training and isinstance(module, MODE_DEPENDENT):
            module_name = next(n for n, m in value.named_modules() if m is module)
            raise ValueError(f"{what} needs the model in eval mode, but layer {module_name!r} "
                             f"({type(module).__name__}) is in training mode, where it would "
                             f"{'update its running statistics' if 'Norm' in type(module).__name__ else 'drop random units'}. "
                             f"Call model.eval() first (vizlab.load_model returns models in eval mode)")
    return value


def first_kernel(net: nn.Module) -> tuple[int, int] | None:
    """The (height, width) of the first convolution's effective kernel, or None without one."""
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            k, d = module.kernel_size, module.dilation
            return tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
    return None


def image_fits(net: nn.Module, hw: Sequence[int], what: str) -> None:
    """Refuse images smaller than the model's first kernel (the model cannot look at them)."""
    kernel = first_kernel(net)
    if kernel is not None and (hw[0] < kernel[0] or hw[1] < kernel[1]):
        raise ValueError(f"{what} of {hw[0]}x{hw[1]} pixels is smaller than the model's first kernel "
                         f"({kernel[0]}x{kernel[1]}): use images of at least {max(kernel)} pixels, "
                         f"e.g. the model's input_size ({getattr(net, 'input_size', 'see its docs')})")


def _range_text(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" in {minimum}..{maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    return f" <= {maximum}" if maximum is not None else ""


def _show(value) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {text}"
