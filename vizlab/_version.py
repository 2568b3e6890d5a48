"""``vizlab.__version__``: the version of the installed distribution, from its metadata.

The distribution is called ``vizlab-cnn`` (the bare name ``vizlab`` on PyPI is another project,
so its metadata must never be read here). Where no distribution is installed, as when the source
tree is only on ``sys.path``, the version comes from the checkout's own ``pyproject.toml``.
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "vizlab-cnn"
UNKNOWN = "0+unknown"


def installed_or_source_version() -> str:
    """The installed ``vizlab-cnn``'s version; else ``[project] version`` of the pyproject.toml
    beside the package (a source checkout); else ``"0+unknown"``. Never raises."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return _source_version(Path(__file__).resolve().parent.parent / "pyproject.toml")


def _source_version(pyproject: Path) -> str:
    # A regular expression, not tomllib: tomllib is not in Python 3.10's standard library.
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return UNKNOWN
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if project is None or not re.search(rf'^name\s*=\s*"{re.escape(DISTRIBUTION)}"', project.group(1), re.M):
        return UNKNOWN                     # some other project's pyproject.toml
    version = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.M)
    return version.group(1) if version else UNKNOWN


__version__ = installed_or_source_version()
