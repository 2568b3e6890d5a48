from .generators import PixelGenerator as ShapesGenerator
def dataset_codes(*a, **k): raise NotImplementedError
