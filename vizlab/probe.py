"""The layer probe: the one place in vizlab that puts hooks on a model.

Layers are named by their dotted names in ``model.named_modules()`` (``"features.6"``,
``"inception4c"``, ``"conv1"``). A probe records the output of the layers you ask for while it
is open, and removes every hook when it closes, whatever happened inside::

    with Probe(model, ["conv1", "relu3"]) as probe:
        logits = model(images)
    probe.acts["conv1"]      # (B, C, H, W)

Recorded outputs are copies (``clone``): a later in-place operation, such as an
``nn.ReLU(inplace=True)`` or a functional ``F.relu(x, inplace=True)``, cannot overwrite them.
So a convolution's output is really its pre-ReLU value. Copies keep their autograd history
unless the model ran under ``torch.no_grad()``.

``probe.acts`` holds the latest forward pass. A module that runs more than once in one pass
(ResNet blocks reuse their ``relu``) is recorded at its first call.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import torch
from torch import nn


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
    """Raised by the probe's last hook to end a forward pass early."""


class Probe:
    """Records the outputs of ``layers`` while open; removes every hook on close (idempotent)."""

    def __init__(self, model: nn.Module, layers, *, stop_early: bool = False):
        self.model = model
        self.layers = [layers] if isinstance(layers, str) else list(layers)
        if not self.layers:
            raise ValueError("Probe needs at least one layer name; see vizlab.list_layers(model).")
        self.modules = {name: get_layer(model, name) for name in self.layers}  # validate first
        self.stop_early = stop_early
        self.acts: dict[str, torch.Tensor] = {}
        self._handles = []

    def __enter__(self) -> "Probe":
        try:
            self._handles.append(self.model.register_forward_pre_hook(self._new_pass))
            for name, module in self.modules.items():
                self._handles.append(module.register_forward_hook(self._recorder(name)))
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()  # never swallows the exception: returns None

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _new_pass(self, model, inputs) -> None:
        self.acts = {}

    def _recorder(self, name: str):
        def record(module, inputs, output):
            if name in self.acts:  # a reused module: keep its first call
                return
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"layer {name!r} returns {type(output).__name__}, not a tensor; "
                                f"probe one of its submodules instead")
            self.acts[name] = output.clone()
            if self.stop_early and len(self.acts) == len(self.modules):
                raise _StopForward
        return record

    def run(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Forward ``images`` and return the recorded layers; with ``stop_early`` the forward
        pass ends at the last of them (no work is spent on the layers after it)."""
        try:
            self.model(images)
        except _StopForward:
            pass
        missing = [n for n in self.layers if n not in self.acts]
        if missing:
            raise RuntimeError(f"layers {missing} were not called during the forward pass")
        return self.acts


def capture(model: nn.Module, images: torch.Tensor, layers, *, batch_size: int | None = None) -> dict[str, torch.Tensor]:
    """Activations of ``layers`` for ``images`` (B, 3, H, W), computed without gradients.

    ``batch_size`` splits a large batch to bound memory; results are concatenated.
    """
    from .images import as_batch

    images = as_batch(images).to(_device(model))
    chunks = [images] if batch_size is None else images.split(batch_size)
    outs: dict[str, list[torch.Tensor]] = {}
    with torch.no_grad(), Probe(model, layers, stop_early=True) as probe:
        for chunk in chunks:
            for name, act in probe.run(chunk).items():
                outs.setdefault(name, []).append(act)
    return {name: torch.cat(parts) for name, parts in outs.items()}


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
    size = input_size or getattr(model, "input_size", 224)
    shape = (3, size, size) if isinstance(size, int) else tuple(size)
    shapes: dict[str, tuple] = {}
    names = layer_names(model)
    handles = []
    try:
        for name in names:
            def record(module, inputs, output, name=name):
                if isinstance(output, torch.Tensor):
                    shapes.setdefault(name, tuple(output.shape[1:]))
            handles.append(get_layer(model, name).register_forward_hook(record))
        with torch.no_grad():
            model(torch.rand(1, *shape, device=_device(model)))
    finally:
        for handle in handles:
            handle.remove()
    return LayerTable(
        LayerInfo(name, type(m).__name__, shapes.get(name), sum(p.numel() for p in m.parameters(recurse=False)))
        for name, m in model.named_modules() if name)


def _device(model: nn.Module) -> torch.device:
    tensor = next(model.parameters(), None)
    if tensor is None:
        tensor = next(model.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")
