"""The layer probe: the one place in vizlab that puts hooks on a model.

Layers are named by their dotted names in ``model.named_modules()`` (``"features.6"``,
``"inception4c"``, ``"conv1"``). A probe records the output of the layers you ask for during
one forward pass and removes every hook afterwards, whatever happened::

    acts = Probe(model, ["conv1", "relu3"]).run(images)      # or, for a pass you write yourself:
    with Probe(model, ["conv1", "relu3"]) as probe:
        logits = model(images)
    probe.acts["conv1"]      # (B, C, H, W)

Recorded outputs are copies (``clone``): a later in-place operation, such as an
``nn.ReLU(inplace=True)`` or a functional ``F.relu(x, inplace=True)``, cannot overwrite them.
So a convolution's output is really its pre-ReLU value. (The one exception: the output that
ends a ``stop_early`` pass is kept as it is when it is a tensor of its own, since nothing runs
after it.) Copies keep their autograd history
unless the model ran under ``torch.no_grad()``. A module that runs more than once in one pass
(ResNet blocks reuse their ``relu``) is recorded at its first call.

Guarantees, each tested:

* **A probe sees only its own forward pass.** Hooks sit on modules that everyone shares: an
  explorer's background thread, the next notebook cell, another probe. So every hook first
  asks whether the pass running *now* belongs to its probe, and otherwise does nothing (no
  recording, no early stop). The owner of the running pass is a ``ContextVar``, set while the
  probe is open: each thread has its own context, and an inner probe replaces an outer one for
  the duration of its own pass. A probe held open across many ``run()`` calls (``held()``, as
  the optimization loop does between two frames) owns only the passes ``run()`` makes. A plain
  ``model(x)`` elsewhere is never recorded or stopped.
* **Nothing survives**, not even a KeyboardInterrupt at any line of vizlab (tested by raising
  one at every line these paths execute). A probe is an ``ExitStack``: each hook handle is
  pushed on it the moment it is registered, so closing unwinds exactly what was done, in the
  standard library's code; opening cleans up after itself twice (an interrupt inside the first
  clean-up cannot skip the second). A hook that outlives its probe anyway is inert: its probe
  no longer owns any pass.
* **Safety does not hang on line breaks.** Python reports a separate line event when a
  multi-line ``with`` block exits, and an interrupt that lands there skips the block's
  ``__exit__``. So vizlab enters and leaves what changes state (a probe's hooks, grad mode)
  in the standard library's or torch's code, never in a ``with`` block of its own: ``run()``
  calls its pass through ``contextlib.ContextDecorator``, and grad mode is set by decorated
  functions (``@torch.no_grad()``). ``tests/test_interrupts.py`` checks that no vizlab ``with``
  block over a probe or grad mode spans more than its own line.
* **Only ``run()`` ends a pass early.** ``stop_early`` ends ``run()``'s own passes only: in a
  ``with Probe(..., stop_early=True)`` block, a call ``model(x)`` of your own runs to the end and
  returns the model's output (with every probed layer recorded), and a hook left behind by
  any accident can never end a later pass.
* **A copy of the model carries no live hook.** The hooks are small objects that pickle and
  deep-copy as inert no-ops (never as a copy of the probe), and a model from
  ``vizlab.load_model`` drops them from its copies altogether (``models/zoo.py``).
"""
from __future__ import annotations

import contextlib
import contextvars
import difflib
import threading
from dataclasses import dataclass

import torch
from torch import nn

from . import checks

# The probe whose forward pass is running in this thread (None: a pass nobody probes).
_owner: contextvars.ContextVar["Probe | None"] = contextvars.ContextVar("vizlab_probe_owner", default=None)


class UnknownLayerError(ValueError):
    """A layer name that the model does not have."""


def layer_names(model: nn.Module) -> list[str]:
    """Every named layer of ``model`` (the model itself, named ``""``, excluded)."""
    return [name for name, _ in model.named_modules() if name]


def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule called ``name``; an unknown name gets the closest matches and the list."""
    modules = dict(model.named_modules())
    if not isinstance(name, str) or not name or name not in modules:
        raise UnknownLayerError(_unknown_layer_message(name, [n for n in modules if n]))
    return modules[name]


def _unknown_layer_message(name, names: list[str]) -> str:
    close = difflib.get_close_matches(str(name), names, n=5, cutoff=0.5)
    hint = f" Closest: {', '.join(map(repr, close))}." if close else ""
    shown = ", ".join(names[:40]) + (f", ... ({len(names)} in all)" if len(names) > 40 else "")
    return f"Unknown layer {name!r}.{hint} Layers: {shown}. See vizlab.list_layers(model)."


class _StopForward(Exception):
    """Raised by the probe's last hook to end its own forward pass early."""


class Probe(contextlib.ExitStack, contextlib.ContextDecorator):
    """Records the outputs of ``layers`` during its own forward passes; hook-free outside them."""

    require_all = True                        # ``run`` insists that every layer was called

    def __init__(self, model: nn.Module, layers, *, stop_early: bool = False):
        super().__init__()
        self.model = model
        self.layers = checks.layer_names(layers)
        self.modules = {name: get_layer(model, name) for name in self.layers}  # validate first
        self.stop_early = stop_early
        self.acts: dict[str, torch.Tensor] = {}
        self.output = None                    # the model's output of the last ``run`` (None if stopped early)
        self.open = False
        self._thread = None
        self._held = False                    # opened by ``held()``: only ``run()``'s passes count
        self._running = False                 # inside ``run()``'s own pass

    # --- opening and closing --------------------------------------------------------------------
    def __enter__(self) -> "Probe":
        try:
            try:
                self._open()
                return self
            except BaseException:
                self.close()
                raise
        except BaseException:
            self.close()                      # again: an interrupt may have cut the first short
            raise

    def held(self) -> "Probe":
        """``with probe.held():`` keeps the hooks on across the ``run()`` calls in the block, so
        none is added and removed per pass (the optimization loop holds its probe for the steps
        between two frames). Only the passes that ``run()`` makes are the probe's: any other
        forward pass in the block, even in this thread, is neither recorded nor stopped."""
        self._held = True
        return self

    def _open(self) -> None:
        self.push(_end_of_pass)               # unwound last: our own early stop ends the pass quietly
        self.callback(setattr, self, "_held", False)
        self.callback(setattr, self, "open", False)
        self.acts, self._thread, self._running, self.open = {}, threading.get_ident(), False, True
        self.callback(_owner.reset, _owner.set(self))
        if not self._held:                    # by hand: each pass starts afresh (``run()`` does it itself)
            self.callback(self.model.register_forward_pre_hook(_Hook(self._new_pass)).remove)
        for name, module in self.modules.items():
            self.callback(module.register_forward_hook(_Hook(self._recorder(name))).remove)

    def _recreate_cm(self) -> "Probe":       # ContextDecorator: ``self(f)(x)`` runs f with the hooks on
        return self

    def remove(self) -> None:
        """Remove every hook and give up ownership of the pass (idempotent)."""
        self.close()

    # --- the hooks: active only inside this probe's own pass ------------------------------------
    def _owns_this_pass(self) -> bool:
        return (self.open and _owner.get() is self and self._thread == threading.get_ident()
                and (self._running or not self._held))

    def _new_pass(self, model, inputs) -> None:
        if self._owns_this_pass():
            self.acts = {}

    def _recorder(self, name: str):
        def record(module, inputs, output):
            if not self._owns_this_pass() or name in self.acts:  # another pass, or a reused module
                return
            ends_pass = self.stop_early and self._running and len(self.acts) + 1 == len(self.modules)
            self._store(name, output, copy=not (ends_pass and _owned_by_pass(output, inputs)))
            if ends_pass:
                raise _StopForward
        return record

    def _store(self, name: str, output, copy: bool = True) -> None:
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"layer {name!r} returns {type(output).__name__}, not a tensor; "
                            f"probe one of its submodules instead")
        self.acts[name] = output.clone() if copy else output

    # --- one forward pass -----------------------------------------------------------------------
    def run(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Forward ``images`` and return the recorded layers; with ``stop_early`` the forward
        pass ends at the last of them (no work is spent on the layers after it). Hooks are on
        only during this call (unless the probe is already open in a ``with`` block)."""
        if self.open:
            return self._forward(images)
        return self(self._forward)(images)    # entered and left in contextlib: see the module docstring

    def _forward(self, images) -> dict[str, torch.Tensor]:
        self.output, self.acts, self._running = None, {}, True
        try:
            self.output = self.model(images)
        except _StopForward:
            pass
        finally:
            self._running = False
        missing = [n for n in self.layers if n not in self.acts]
        if missing and self.require_all:
            raise RuntimeError(f"layers {missing} were not called during the forward pass; "
                               f"probe layers that this model's forward() runs (see vizlab.list_layers(model))")
        return self.acts


class _Hook:
    """A probe's hook. Copied or pickled with the model it becomes ``_InertHook`` (never a copy of
    the probe, whose hooks would then record into it); ``vizlab.load_model``'s models drop those."""

    __slots__ = ("function",)

    def __init__(self, function):
        self.function = function

    def __call__(self, *args):
        return self.function(*args)

    def __reduce__(self):
        return (_InertHook, ())


class _InertHook:
    """What a copy of a model keeps of a vizlab hook: a hook that does nothing."""

    def __call__(self, *args):
        return None


def strip_inert_hooks(model: nn.Module) -> None:
    """Remove the ``_InertHook``s that a copy of ``model`` received from vizlab's probes."""
    for module in model.modules():
        for hooks in (module._forward_hooks, module._forward_pre_hooks):
            for key in [k for k, hook in hooks.items() if isinstance(hook, _InertHook)]:
                del hooks[key]
                for extra in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                              "_forward_pre_hooks_with_kwargs"):
                    getattr(module, extra, {}).pop(key, None)


def _owned_by_pass(output, inputs: tuple) -> bool:
    """True if ``output`` is a tensor of its own: neither the layer's input nor a view of
    anything. The output that ends a stop-early pass is then kept without a copy, since nothing
    runs after it that could overwrite it (a copy and its backward saved on every step of every
    optimization)."""
    return isinstance(output, torch.Tensor) and output._base is None and not any(output is x for x in inputs)


def _end_of_pass(exc_type, exc, tb) -> bool:
    """Swallow the probe's own ``_StopForward`` at the end of its block; anything else propagates."""
    return exc_type is _StopForward


class _ShapeProbe(Probe):
    """Records only output shapes, of any layer (``None`` for a layer whose output is no tensor);
    layers that the pass does not call (GoogLeNet's auxiliary heads in eval mode) stay unrecorded."""

    require_all = False

    def _store(self, name: str, output, copy: bool = True) -> None:
        self.acts[name] = tuple(output.shape[1:]) if isinstance(output, torch.Tensor) else None


def capture(model: nn.Module, images: torch.Tensor, layers, *, batch_size: int | None = None) -> dict[str, torch.Tensor]:
    """Activations of ``layers`` for ``images`` (B, 3, H, W), computed without gradients.

    ``batch_size`` splits a large batch to bound memory; results are concatenated.
    """
    from .images import as_batch

    checks.model(model, "capture")                   # BatchNorm in training mode would change its statistics
    images = as_batch(images).to(_device(model))
    checks.image_fits(model, images.shape[-2:], "an image")
    if batch_size is not None:
        checks.integer(batch_size, "batch_size", minimum=1, hint=" (or None for one batch)")
    chunks = [images] if batch_size is None else images.split(batch_size)
    outs: dict[str, list[torch.Tensor]] = {}
    probe = Probe(model, layers, stop_early=True)            # hooks on only during each run()
    for chunk in chunks:
        for name, act in _no_grad_run(probe, chunk).items():
            outs.setdefault(name, []).append(act)
    return {name: torch.cat(parts) for name, parts in outs.items()}


@torch.no_grad()
def _no_grad_run(probe: Probe, images: torch.Tensor) -> dict:
    return probe.run(images)


def without_grad(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with gradients off. Grad mode is set and restored in torch's
    own code (its decorator), so no interrupt in vizlab's lines can leave it off (see above)."""
    return torch.no_grad()(function)(*args, **kwargs)


@dataclass(frozen=True)
class LayerInfo:
    name: str
    kind: str
    output_shape: tuple | None  # without the batch dimension; None if the layer did not run
    parameters: int


class LayerTable(list):
    """A list of ``LayerInfo`` that prints as a table."""

    def __str__(self) -> str:
        rows = [(i.name, i.kind, "x".join(map(str, i.output_shape)) if i.output_shape else "-", f"{i.parameters:,}")
                for i in self]
        widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(("layer", "type", "output", "params"))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(("layer", "type", "output", "params"), widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def list_layers(model: nn.Module, input_size=None) -> LayerTable:
    """Every layer with its type, output shape for one input of ``input_size`` and parameter count.

    ``input_size`` is (3, H, W) or an int H=W; it defaults to the model's ``input_size``.
    """
    size = getattr(model, "input_size", 224) if input_size is None else input_size
    shape = _input_shape(size)
    probe = _ShapeProbe(model, layer_names(model))
    _no_grad_run(probe, torch.rand(1, *shape, device=_device(model)))
    return LayerTable(
        LayerInfo(name, type(m).__name__, probe.acts.get(name), sum(p.numel() for p in m.parameters(recurse=False)))
        for name, m in model.named_modules() if name)


def _input_shape(size) -> tuple[int, int, int]:
    """``size`` (an int H = W, or (3, H, W)) as (3, H, W); anything else is refused, 0 included."""
    if isinstance(size, int) and not isinstance(size, bool) and size >= 1:
        return (3, size, size)
    if (isinstance(size, (tuple, list)) and len(size) == 3 and size[0] == 3
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in size)):
        return tuple(size)
    raise ValueError(f"input_size must be an int >= 1 (height = width) or (3, H, W) with H, W >= 1, "
                     f"got {size!r}; leave it out to use the model's own input size")


def _device(model: nn.Module) -> torch.device:
    tensor = next(model.parameters(), None)
    if tensor is None:
        tensor = next(model.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")
