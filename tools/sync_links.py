"""Write every link to the project's home from one place: pyproject.toml.

Source of truth: ``[project] name`` and ``version`` and ``[project.urls] Homepage`` (a GitHub
repository, ``https://github.com/ORG/REPO``). The release tag is ``v<version>``. From them:

* README.md, Binder badges:  ``https://mybinder.org/v2/gh/ORG/REPO/v<version>?...`` (query kept);
* README.md, Colab badges:   ``https://colab.research.google.com/github/ORG/REPO/blob/v<version>/PATH``;
* README.md, the quoted no-clone install requirement and, in every ``lessons/*.ipynb``, the pip
  line of the Colab cell (the first code cell that tests ``"google.colab" in sys.modules``):
  ``NAME @ git+HOME@v<version>``, the distribution README names, pinned to the lessons' release;
* ``environment.yml`` and ``binder/environment.yml``: the top-level ``name:`` (and ``conda activate``).

Everything points at the same release on purpose: a notebook opened from a badge installs the
package of that same release, and Binder builds each release's image once. Nothing else in any
file changes (files that are already right are not rewritten), so running it twice changes
nothing the second time. A lesson without a Colab cell gets the standard one before its first
code cell.

    python tools/sync_links.py           # rewrite what is out of date, list the files written
    python tools/sync_links.py --check   # write nothing; exit 1 and list what is out of date

Run it after merging lessons or changing the version or the home URL; tests/test_links.py
fails while anything disagrees.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

try:
    import tomllib
except ModuleNotFoundError:            # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
COLAB_TEST = re.compile(r"""["']google\.colab["']\s+in\s+sys\.modules""")
PIP_INSTALL = re.compile(r"^(?P<indent>[ \t]*)(?!#)\S.*\bpip\b.*\binstall\b.*$", re.M)   # not a comment
BINDER = re.compile(r"https://mybinder\.org/v2/gh/[^/\s)\"']+/[^/\s)\"']+/[^?\s)\"']+")
COLAB = re.compile(r"https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/(?P<path>[^\s)\"']+)")
GIT_REQUIREMENT = re.compile(r'"[A-Za-z0-9._-]+(?P<extras>\[[^\]]*\])? @ git\+[^"\s]+"')
ENV_NAME = re.compile(r"^name:.*$", re.M)
CONDA_ACTIVATE = re.compile(r"conda activate [\w.-]+")


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    home: str                          # https://github.com/ORG/REPO

    @property
    def repo(self) -> str:
        return self.home.removeprefix("https://github.com/")

    @property
    def ref(self) -> str:
        return f"v{self.version}"

    def requirement(self, extras: str = "") -> str:
        return f"{self.name}{extras} @ git+{self.home}@{self.ref}"

    def binder(self) -> str:
        return f"https://mybinder.org/v2/gh/{self.repo}/{self.ref}"

    def colab(self, path: str) -> str:
        return f"https://colab.research.google.com/github/{self.repo}/blob/{self.ref}/{path}"

    def pip_line(self, indent: str = "    ") -> str:
        return f"""{indent}get_ipython().run_line_magic("pip", "install -q '{self.requirement()}'")"""

    def colab_cell_source(self) -> str:
        return ('import sys\nif "google.colab" in sys.modules:  # on Colab, install vizlab first\n'
                + self.pip_line())


def read_project(root: Path = ROOT) -> Project:
    """The name, version and home URL; ValueError unless the home is one GitHub repository URL."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    urls = project.get("urls", {})
    if list(urls) != ["Homepage"]:
        raise ValueError(f"[project.urls] must hold exactly one entry, Homepage; got {sorted(urls)}")
    home = urls["Homepage"].rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", home):
        raise ValueError(f"Homepage must be https://github.com/ORG/REPO (Binder and Colab open GitHub); got {home!r}")
    return Project(project["name"], project["version"], home)


def synced_readme(text: str, project: Project) -> str:
    text = BINDER.sub(project.binder(), text)
    text = COLAB.sub(lambda m: project.colab(m["path"]), text)
    return GIT_REQUIREMENT.sub(lambda m: f'"{project.requirement(m["extras"] or "")}"', text)


def synced_notebook(text: str, project: Project) -> str:
    """The notebook with its Colab cell's pip line rewritten (or the standard cell added)."""
    notebook = json.loads(text)
    cells = notebook["cells"]
    colab = [cell for cell in cells if cell["cell_type"] == "code" and COLAB_TEST.search("".join(cell["source"]))]
    if not colab:
        first_code = next((i for i, cell in enumerate(cells) if cell["cell_type"] == "code"), len(cells))
        cells.insert(first_code, {"cell_type": "code", "execution_count": None, "id": "colab-install",
                                  "metadata": {}, "outputs": [], "source": []})
        colab, cells[first_code]["source"] = [cells[first_code]], project.colab_cell_source()
    cell = colab[0]                    # the install cell; a later Colab-only cell may install other things
    source = PIP_INSTALL.sub(lambda m: project.pip_line(m["indent"]), "".join(cell["source"]))
    cell["source"] = source.splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"   # nbformat's own layout


def synced_environment(text: str, project: Project) -> str:
    text = CONDA_ACTIVATE.sub(f"conda activate {project.name}", text)
    return ENV_NAME.sub(f"name: {project.name}", text, count=1)


def targets(root: Path) -> list[tuple[Path, Callable[[str, Project], str]]]:
    files = [(root / "README.md", synced_readme)]
    files += [(path, synced_notebook) for path in sorted((root / "lessons").glob("*.ipynb"))]
    files += [(root / name, synced_environment) for name in ("environment.yml", "binder/environment.yml")]
    return [(path, sync) for path, sync in files if path.exists()]


def sync(root: Path = ROOT, write: bool = True) -> list[Path]:
    """The files whose links disagree with pyproject.toml; rewritten in place when ``write``."""
    project = read_project(root)
    stale = []
    for path, synced in targets(root):
        text = path.read_text(encoding="utf-8")
        new = synced(text, project)
        if new != text:
            stale.append(path)
            if write:
                path.write_text(new, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    stale = sync(args.root, write=not args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'rewrote'}: {path.relative_to(args.root)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
