"""Choosing the image an explorer works on: the dataset's samples, the photo, or an upload."""
from __future__ import annotations

import io

import ipywidgets as widgets

from ..images import load_image


class ImageChoice:
    """Mixin for explorers with ``self.images`` (name -> (3, H, W) in [0, 1]), ``self.image`` (a
    Dropdown of those names) and ``self.size`` (the side images are loaded at)."""

    def upload_control(self) -> widgets.FileUpload:
        """A FileUpload whose files are added to the choices and selected."""
        upload = widgets.FileUpload(accept="image/*", multiple=False, description="upload")
        upload.observe(self._on_upload, names="value")
        return upload

    def add_image(self, name: str, image) -> None:
        """Add ``image`` (anything ``load_image`` takes) to the choices and select it."""
        self.images[name] = load_image(image, size=self.size)
        self.image.options = list(self.images)
        self.image.value = name

    def _on_upload(self, change) -> None:
        for name, content in uploaded_files(change["new"]):
            self.add_image(f"upload: {name}", io.BytesIO(content))


def uploaded_files(value) -> list[tuple[str, bytes]]:
    """(name, bytes) of a FileUpload value: a tuple of dicts (ipywidgets 8) or a dict (7.x)."""
    if isinstance(value, dict):  # ipywidgets 7: {name: {"metadata": ..., "content": bytes}}
        return [(name, bytes(item["content"])) for name, item in value.items()]
    return [(item["name"], bytes(item["content"])) for item in value]
