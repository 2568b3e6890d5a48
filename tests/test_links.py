"""Every link to the project's home agrees with pyproject.toml, and nothing installs the wrong package.

pyproject.toml holds the one home URL (``[project.urls] Homepage``), the distribution name and the
version; README's Binder and Colab badges, its no-clone install line, each lesson's Colab cell
(every ``lessons/*.ipynb``, present or future) and the conda environment names must agree with
them. tools/sync_links.py writes them; these checks are written independently of it. When one
fails after a merge: ``python tools/sync_links.py``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:            # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NAME, VERSION = PYPROJECT["project"]["name"], PYPROJECT["project"]["version"]
HOME = PYPROJECT["project"].get("urls", {}).get("Homepage", "")
REPO = HOME.removeprefix("https://github.com/")
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
URL = re.compile(r"https?://[^\s)\]\"'<>]+")
FIX = "run: python tools/sync_links.py"
# `pip install [-flags] vizlab`, `%pip install "vizlab[...]"`, `run_line_magic("pip", "install vizlab")`,
# `conda install vizlab`; not vizlab-cnn, not the repository URL .../vizlab/vizlab, not uninstall or show.
BARE_INSTALL = re.compile(r"""\b(?:pip3?|conda|mamba)\b["',\s]+install(?:\s+-\S+)*\s+["']?vizlab(?![-\w./])""")


def sync_links():
    spec = importlib.util.spec_from_file_location("sync_links", ROOT / "tools" / "sync_links.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module            # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def assert_installs_this_release(requirement: str, where: str) -> None:
    parsed = Requirement(requirement)
    assert canonicalize_name(parsed.name) == canonicalize_name(NAME), f"{where} installs {parsed.name}, not {NAME}"
    assert parsed.url == f"git+{HOME}@v{VERSION}", f"{where} installs from {parsed.url}; {FIX}"


def test_one_home_url_and_a_name_that_is_not_the_other_project():
    assert list(PYPROJECT["project"]["urls"]) == ["Homepage"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", HOME), HOME
    assert canonicalize_name(NAME) != "vizlab"         # PyPI's "vizlab" is an unrelated project


def test_the_sync_script_has_nothing_left_to_write():
    assert sync_links().sync(ROOT, write=False) == [], FIX


def test_readme_badges_open_this_release_of_every_lesson():
    urls = URL.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    binder = [url for url in urls if url.startswith("https://mybinder.org/v2/")]
    assert binder and all(url.startswith(f"https://mybinder.org/v2/gh/{REPO}/v{VERSION}?") for url in binder), FIX
    prefix = f"https://colab.research.google.com/github/{REPO}/blob/v{VERSION}/"
    colab = [url for url in urls if url.startswith("https://colab.research.google.com/github/")]
    assert all(url.startswith(prefix) for url in colab), FIX
    paths = {url.removeprefix(prefix) for url in colab}
    lessons = {path.relative_to(ROOT).as_posix() for path in LESSONS}
    assert paths - lessons == set(), "README has a Colab badge for a notebook that does not exist"
    assert lessons - paths == set(), "every lesson needs a row with a Colab badge in README's lesson table"


def test_readme_install_line_names_the_distribution_at_this_release():
    requirements = re.findall(r'"([^"\s]+ @ git\+[^"\s]+)"', (ROOT / "README.md").read_text(encoding="utf-8"))
    assert requirements, "README has no no-clone install line"
    for requirement in requirements:
        assert_installs_this_release(requirement, "README")


@pytest.mark.parametrize("lesson", LESSONS, ids=[path.name for path in LESSONS])
def test_each_lesson_installs_this_release_on_colab_first(lesson):
    cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
    first_code = "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])
    assert re.search(r"""["']google\.colab["'] in sys\.modules""", first_code), "the first code cell installs on Colab"
    installs = [line for line in first_code.splitlines() if re.search(r"\bpip\b.*\binstall\b", line)]
    assert len(installs) == 1, installs
    assert '"pip"' in installs[0] or "%pip" in installs[0], "install into the kernel's environment"
    quoted = re.findall(r"'([^']+)'", installs[0])
    assert len(quoted) == 1, f"one quoted requirement expected in {installs[0]!r}; {FIX}"
    assert_installs_this_release(quoted[0], lesson.name)


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_conda_environments_carry_the_name(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert re.search(rf"^name: {re.escape(NAME)}$", text, re.M), FIX


def text_files(root: Path):
    skip = {"build", "dist", "node_modules", "artifacts", "__pycache__"}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")
                   and (not d.startswith(".") or d == ".ci")]
        for name in files:
            path = Path(folder, name)
            try:
                yield path, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue                               # weights, images


def installs_the_bare_name(path: Path, text: str) -> bool:
    """A pip or conda command for it, or a `- vizlab` entry in a requirements or conda list."""
    list_entry = re.compile(r"""^\s*-\s*["']?vizlab(?![-\w./])""", re.M)
    return bool(BARE_INSTALL.search(text) or (path.suffix in {".yml", ".yaml", ".txt"} and list_entry.search(text)))


def test_no_file_tells_anyone_to_install_the_bare_name():
    this_file = Path(__file__).resolve()                  # its counterexamples are below
    offenders = [str(path.relative_to(ROOT)) for path, text in text_files(ROOT)
                 if path != this_file and installs_the_bare_name(path, text)]
    assert offenders == []
    project = PYPROJECT["project"]
    requirements = project["dependencies"] + sum(project.get("optional-dependencies", {}).values(), [])
    assert "vizlab" not in {canonicalize_name(Requirement(r).name) for r in requirements}


def test_the_bare_name_check_catches_what_it_should():
    for bad in ["pip install vizlab", "%pip install -q vizlab", "pip install 'vizlab[lessons]'", "pip install vizlab==0.3",
                '    get_ipython().run_line_magic("pip", "install -q vizlab")', "conda install -y vizlab"]:
        assert BARE_INSTALL.search(bad), bad
    for fine in ["pip install vizlab-cnn", "pip install -q git+https://github.com/vizlab/vizlab",
                 "pip uninstall vizlab", "pip show vizlab", 'pip install -e ".[lessons]"',
                 "# on Colab, install vizlab first"]:
        assert not BARE_INSTALL.search(fine), fine
    assert installs_the_bare_name(Path("environment.yml"), "  - pip:\n      - vizlab[lessons]\n")
    assert not installs_the_bare_name(Path("environment.yml"), "  - pip:\n      - -e .[lessons]\n")


# The script itself: it finds every disagreement, fixes exactly those, and is idempotent.

@pytest.fixture
def tree(tmp_path):
    for path in ["pyproject.toml", "README.md", "environment.yml", "binder/environment.yml", *LESSONS[:2]]:
        source = ROOT / path
        (tmp_path / source.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp_path / source.relative_to(ROOT))
    return tmp_path


def test_the_script_finds_each_disagreement_and_restores_the_files_exactly(tree):
    sync = sync_links().sync
    lesson = sorted((tree / "lessons").glob("*.ipynb"))[0]
    originals = {path: path.read_bytes() for path in [tree / "README.md", tree / "environment.yml", lesson]}
    readme = originals[tree / "README.md"].decode()
    (tree / "README.md").write_text(readme.replace(f"/blob/v{VERSION}/", "/blob/main/", 1), encoding="utf-8")
    (tree / "environment.yml").write_text(originals[tree / "environment.yml"].decode().replace(f"name: {NAME}", "name: vizlab"))
    lesson.write_text(originals[lesson].decode().replace(f"@v{VERSION}", ""), encoding="utf-8")
    assert sorted(sync(tree, write=False)) == sorted(originals)
    assert sorted(sync(tree)) == sorted(originals)
    assert {path: path.read_bytes() for path in originals} == originals
    assert sync(tree) == []


def test_a_new_home_and_version_reach_every_link_and_a_new_lesson_gets_the_colab_cell(tree):
    module = sync_links()
    pyproject = (tree / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = pyproject.replace(HOME, "https://github.com/someone/elsewhere").replace(f'version = "{VERSION}"', 'version = "2.0.1"')
    (tree / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    new_lesson = tree / "lessons" / "99_new.ipynb"
    new_lesson.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# New"]},
        {"cell_type": "code", "execution_count": None, "id": "b", "metadata": {}, "outputs": [], "source": ["import vizlab"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n", encoding="utf-8")
    module.sync(tree)
    assert module.sync(tree, write=False) == []
    for path in [tree / "README.md", *(tree / "lessons").glob("*.ipynb")]:
        text = path.read_text(encoding="utf-8")
        assert HOME not in text and f"v{VERSION}" not in text, path.name
        assert "someone/elsewhere" in text and "v2.0.1" in text, path.name
    cells = json.loads(new_lesson.read_text(encoding="utf-8"))["cells"]
    assert [cell["cell_type"] for cell in cells] == ["markdown", "code", "code"]
    assert "google.colab" in "".join(cells[1]["source"]) and cells[2]["source"] == ["import vizlab"]


def test_the_script_refuses_a_home_that_colab_and_binder_cannot_open(tree):
    pyproject = (tree / "pyproject.toml").read_text(encoding="utf-8")
    (tree / "pyproject.toml").write_text(pyproject.replace(HOME, "https://example.org/vizlab"), encoding="utf-8")
    with pytest.raises(ValueError, match="Homepage must be https://github.com/ORG/REPO"):
        sync_links().sync(tree, write=False)
