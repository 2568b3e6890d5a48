"""ShapeNet: the small CNN that ships with vizlab, trained on the embedded shapes dataset.

Built to be looked at: a first convolution of 16 filters of 7x7 (big enough to see), three
more conv/ReLU stages with pooling, global average pooling (so any input size works) and a
linear classifier. Layer names are the attribute names below: ``conv1``, ``relu1``, ``pool1``,
..., ``avgpool``, ``fc``.
"""
from __future__ import annotations

from collections import OrderedDict

from torch import nn

from ..data.shapes import CLASSES

# Inputs are normalized inside the model (see zoo.normalized) with these statistics.
MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)


class ShapeNet(nn.Sequential):
    def __init__(self, num_classes: int = len(CLASSES)):
        super().__init__(OrderedDict([
            ("conv1", nn.Conv2d(3, 16, kernel_size=7, stride=2, padding=3)),  # 64 -> 32
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(16, 32, kernel_size=3, padding=1)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),                                         # 32 -> 16
            ("conv3", nn.Conv2d(32, 64, kernel_size=3, padding=1)),
            ("relu3", nn.ReLU()),
            ("pool3", nn.MaxPool2d(2)),                                         # 16 -> 8
            ("conv4", nn.Conv2d(64, 64, kernel_size=3, padding=1)),
            ("relu4", nn.ReLU()),
            ("avgpool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(64, num_classes)),
        ]))
