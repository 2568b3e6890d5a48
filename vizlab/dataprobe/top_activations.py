"""Top-k (and bottom-k) activating images and patches of a layer's channels, over any dataset.

For channel c of layer l, an image scores s(x) = max_{i,j} a^l_{c,i,j}(x) (Zeiler & Fergus
2014, Fig. 2: the top 9 per feature map). One pass over the data keeps, per channel, the k best
(score, image, position) so far, so memory does not grow with the dataset. Each winner is then
cropped to the receptive field of its unit (METHODS.md §2). With ``largest=False`` an image
scores min_{i,j} a and the k lowest win: the patches that push the unit most negative (use a
pre-ReLU layer, where that means something).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import checks
from ..probe import Probe, _device, without_grad
from .datasets import as_dataset, batches, image_at, make_progress
from .receptive_field import Box, receptive_field


@dataclass(frozen=True)
class Record:
    """One winner: its activation ``value``, dataset ``index``, unit ``position`` (y, x) in the
    layer (None for a layer without space), the input ``box`` that unit sees and its ``crop``
    (3, h, w), zero where the box leaves the image."""

    value: float
    index: int
    channel: int
    position: tuple[int, int] | None
    box: Box
    crop: torch.Tensor


class TopK:
    """The running k best (value, image index, flat position) per channel; O(k C) memory.

    ``update`` merges one batch's per-image scores (B, C). Ties keep the earlier image, so the
    result equals a stable sort of all scores: an exact, reproducible ranking.
    """

    def __init__(self, k: int, channels: int, *, largest: bool = True):
        self.k, self.largest = k, largest
        self.values = torch.empty(0, channels)
        self.indices = torch.empty(0, channels, dtype=torch.long)
        self.positions = torch.empty(0, channels, dtype=torch.long)

    def update(self, values: torch.Tensor, positions: torch.Tensor, first_index: int) -> None:
        """``values`` and flat ``positions``: (B, C) for images ``first_index .. first_index + B - 1``."""
        b, c = values.shape
        indices = torch.arange(first_index, first_index + b)[:, None].expand(b, c)
        values = torch.cat([self.values, values.float().cpu()])
        order = values.sort(dim=0, descending=self.largest, stable=True).indices[:self.k]
        self.values = values.gather(0, order)
        self.indices = torch.cat([self.indices, indices]).gather(0, order)
        self.positions = torch.cat([self.positions, positions.cpu()]).gather(0, order)

    @property
    def nbytes(self) -> int:
        """What the tracker holds, in bytes (it must not grow with the number of images)."""
        return sum(t.numel() * t.element_size() for t in (self.values, self.indices, self.positions))


def top_activations(model: torch.nn.Module, data, layer: str, *, channels=None, k: int = 9,
                    largest: bool = True, batch_size: int = 64, crops: bool = True,
                    progress=True) -> dict[int, list[Record]]:
    """The ``k`` images (and patches) that drive each channel of ``layer`` most, best first.

    ``data``: a tensor (N, 3, H, W), ``make_shapes(...)``, any ``Dataset`` of images or
    (image, label) pairs, or an image folder path. ``channels``: an int, a list, or None for
    all. Runs under ``no_grad`` on the model's device, stopping the forward pass at ``layer``.
    Returns {channel: [Record, ...]}; ``crops=False`` skips the receptive-field crops.
    """
    checks.model(model, "top_activations")
    checks.layer_name(layer)
    checks.integer(k, "k", minimum=1, hint=" (how many images to keep per channel)")
    checks.integer(batch_size, "batch_size", minimum=1)
    if not isinstance(largest, bool) or not isinstance(crops, bool):
        raise TypeError(f"largest and crops must be True or False, got largest={largest!r}, crops={crops!r}")
    dataset = as_dataset(data)
    tracker, chosen, image_size, spatial = _scan(model, dataset, layer, channels, k, largest, batch_size,
                                                 make_progress(progress, len(dataset)))
    field = receptive_field(model, layer, input_size=image_size) if crops else None
    if field is not None and field.output_size != (spatial or (1, 1)):
        raise RuntimeError(f"layer {layer!r} is {spatial} here but its receptive field says {field.output_size}")
    return _records(dataset, tracker, chosen, spatial, field)


def _scan(model, dataset, layer, channels, k, largest, batch_size, report):
    device, tracker, seen, chosen = _device(model), None, 0, None
    probe = Probe(model, layer, stop_early=True)                    # hooks on during each run() only
    for images, _ in batches(dataset, batch_size):
        acts = without_grad(probe.run, images.to(device))[layer]
        if chosen is None:
            chosen = _check_channels(channels, acts.shape[1], layer)
            image_size = tuple(images.shape[-2:])
            spatial = tuple(acts.shape[-2:]) if acts.dim() == 4 else None
        flat = acts[:, chosen].flatten(2) if acts.dim() > 2 else acts[:, chosen, None]
        values, positions = flat.max(2) if largest else flat.min(2)  # first unit on ties
        if tracker is None:
            tracker = TopK(k, len(chosen), largest=largest)
        tracker.update(values, positions, seen)
        seen += len(images)
        report(seen)
    if tracker is None:
        raise ValueError("the dataset is empty: pass at least one image (e.g. make_shapes(256))")
    return tracker, chosen, image_size, spatial


def _check_channels(channels, count: int, layer: str) -> list[int]:
    if channels is not None and not isinstance(channels, (int, list, tuple, range)) or isinstance(channels, bool):
        raise TypeError(f"channels must be an int, a list of ints or None (all), got {checks._show(channels)}")
    chosen = list(range(count)) if channels is None else [channels] if isinstance(channels, int) else list(channels)
    bad = [c for c in chosen if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < count]
    if bad or not chosen:
        raise ValueError(f"channels {bad or chosen} are not in layer {layer!r}, which has channels 0..{count - 1}")
    return chosen


def _records(dataset, tracker, chosen, spatial, field) -> dict[int, list[Record]]:
    """Records, best first. Images are fetched once each, in index order (a generated dataset
    then makes each chunk once), and only their crops are kept."""
    winners = {}  # (channel, rank) -> (value, index, position, box)
    for column, channel in enumerate(chosen):
        columns = (t[:, column].tolist() for t in (tracker.values, tracker.indices, tracker.positions))
        for rank, (value, index, flat) in enumerate(zip(*columns)):
            position = divmod(flat, spatial[1]) if spatial else None
            box = field.box(*(position or (0, 0))) if field else None
            winners[channel, rank] = (value, index, position, box)
    # All crops share the field's size: one tensor, allocated before any image is made. Many
    # small crops allocated between the large temporaries of image generation would fragment
    # the heap, and the process's peak memory would grow with the dataset (measured).
    keys = list(winners)
    slot = {key: k for k, key in enumerate(keys)}
    store = torch.zeros(len(keys), 3, *winners[keys[0]][3].size) if field else None
    wanted: dict[int, list] = {}
    for key, (_, index, _, _) in winners.items():
        wanted.setdefault(index, []).append(key)
    crops = {}
    for index in sorted(wanted) if field else ():
        image = image_at(dataset, index)
        for key in wanted[index]:
            store[slot[key]] = winners[key][3].crop(image)
            crops[key] = store[slot[key]]
    return {channel: [Record(v, i, channel, p, b, crops.get((channel, rank)))
                      for (c, rank), (v, i, p, b) in winners.items() if c == channel]
            for channel in chosen}
