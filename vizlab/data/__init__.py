"""Datasets that ship with vizlab (generated, so they work offline)."""
from .shapes import CLASSES, Shapes, ShapesDataset, make_shapes

__all__ = ["CLASSES", "Shapes", "ShapesDataset", "make_shapes"]
