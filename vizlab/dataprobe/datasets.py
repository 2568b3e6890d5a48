"""Whatever images a student brings, streamed in batches: a tensor, the embedded shapes, any
torch ``Dataset`` of images or ``(image, label)`` pairs, or a folder of image files."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .. import checks

from ..data.shapes import Shapes
from ..images import as_batch


def as_dataset(data) -> Dataset:
    """A ``Dataset`` from a batch tensor (N, 3, H, W), ``Shapes``, a ``Dataset`` or a folder path."""
    if isinstance(data, Shapes):
        return TensorDataset(data.images, data.labels)
    if isinstance(data, torch.Tensor):
        if data.dim() != 4:
            raise ValueError(f"an image batch must have shape (N, 3, H, W); got {tuple(data.shape)}")
        return TensorDataset(as_batch(data))      # load_image's rules: uint8 / 255, [0, 1], ...
    if isinstance(data, (str, Path)):
        return image_folder(data)
    if isinstance(data, Dataset):
        return data
    raise TypeError(f"Cannot read images from {type(data).__name__}: pass a tensor (N, 3, H, W), "
                    f"make_shapes(...), a torch Dataset or the path of an image folder")


def image_folder(root, *, size: int = 64) -> Dataset:
    """torchvision's ``ImageFolder`` over ``root/<class>/<image>``, resized and centre-cropped to
    ``size`` and scaled to [0, 1] (all images of a batch must share one size)."""
    from torchvision import datasets, transforms

    checks.integer(size, "size", minimum=1, hint=" (images are resized to size x size)")
    if not Path(root).is_dir():
        raise FileNotFoundError(f"No folder at {root!s}; ImageFolder expects root/<class name>/<image files>")
    return datasets.ImageFolder(str(root), transform=transforms.Compose([
        transforms.Resize(size), transforms.CenterCrop(size), transforms.ToTensor()]))


def split_item(item) -> tuple[torch.Tensor, object]:
    """(image, label) from a dataset item that is an image or a tuple whose first entry is one."""
    if isinstance(item, (tuple, list)):
        return item[0], (item[1] if len(item) > 1 else None)
    return item, None


def image_at(dataset: Dataset, index: int) -> torch.Tensor:
    return split_item(dataset[index])[0]


def batches(dataset: Dataset, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """(images (B, 3, H, W), labels (B,) or None), in dataset order, one batch in memory at a time."""
    checks.integer(batch_size, "batch_size", minimum=1)
    for item in DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0):
        images, labels = split_item(item)
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
            raise ValueError("the dataset must give image tensors (3, H, W) of one size, in [0, 1]; "
                             "for a folder of files use vizlab.dataprobe.image_folder(root, size=...)")
        yield images, labels if isinstance(labels, torch.Tensor) else None


def progress_bar(total: int, *, label: str = "images") -> Callable[[int], None]:
    """A ``tqdm.auto`` bar: a widget in notebooks, a text line in terminals. ``report(done)``
    moves it to ``done`` of ``total`` and closes it when all are done."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit=" " + label, unit_scale=False, leave=True)

    def report(done: int) -> None:
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
    return report


def make_progress(progress, total: int) -> Callable[[int], None]:
    """``progress`` may be True (a tqdm bar), False/None (silent) or a callable ``f(done)``."""
    if callable(progress):
        return progress
    if progress not in (True, False, None):
        raise TypeError(f"progress must be True (a progress bar), False or a function f(done), "
                        f"got {checks._show(progress)}")
    return progress_bar(total) if progress else (lambda done: None)
