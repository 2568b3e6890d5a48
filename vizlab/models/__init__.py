"""The model zoo (``load_model``) and vizlab's own ShapeNet."""
