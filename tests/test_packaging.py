"""What users install is what we test.

The slow tests build the sdist, build the wheel *from the sdist* (so the sdist provably rebuilds),
install the wheel (not editable) into a fresh virtual environment outside the source tree, and
run the CLI and a lesson from there, in a folder outside the repository. Reinstalling torch into
that environment would take minutes and gigabytes, so it borrows the already installed
dependencies through ``.pth`` lines pointing at this interpreter's site-packages: a ``.pth`` line
only adds a folder to ``sys.path`` (it runs no ``.pth`` files inside it), so the source tree's
editable install stays inactive there, and the tests check that ``vizlab`` is imported from the
fresh environment. Building uses the backend in pyproject.toml directly, without isolation, as
``python -m build --no-isolation`` would: no network needed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:            # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NAME, VERSION = PYPROJECT["project"]["name"], PYPROJECT["project"]["version"]
LESSON = ROOT / "lessons" / "01_first_layer_filters.ipynb"    # loads the shipped weights, shows a widget
SHIPPED_FOLDERS = ["vizlab", "tests", "lessons", "solutions", "tools", "binder", "benchmarks"]
SHIPPED_FILES = ["pyproject.toml", "README.md", "MANIFEST.in", "environment.yml"]


def run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    return result


def source_files(root: Path) -> set[str]:
    """Every file a clean clone has (``git ls-files``) but CI's dotfiles; without git, the files of
    the shipped folders. Caches are never included."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True)
        return {name for name in listed.stdout.split("\0") if name and not name.startswith(".")}
    except (OSError, subprocess.CalledProcessError):
        pass                                                # an unpacked sdist: no git
    files = {name for name in SHIPPED_FILES if (root / name).is_file()}
    for folder in SHIPPED_FOLDERS:
        for path in (root / folder).rglob("*"):
            parts = set(path.relative_to(root).parts)
            if path.is_file() and not parts & {"__pycache__", ".ipynb_checkpoints"} and path.suffix != ".pyc":
                files.add(path.relative_to(root).as_posix())
    return files


# __version__ ---------------------------------------------------------------------------------

def test_version_is_the_projects_version():
    import vizlab

    assert vizlab.__version__ == VERSION


def test_source_version_reads_only_this_projects_pyproject(tmp_path):
    from vizlab._version import UNKNOWN, _source_version

    pyproject = tmp_path / "pyproject.toml"
    assert _source_version(pyproject) == UNKNOWN                                   # no file
    pyproject.write_text('[project]\nname = "vizlab"\nversion = "0.3"\n')       # PyPI's other vizlab
    assert _source_version(pyproject) == UNKNOWN
    pyproject.write_text(f'[tool.x]\nversion = "9"\n[project]\nname = "{NAME}"\nversion = "1.2.3"\n[tool.y]\nversion = "8"\n')
    assert _source_version(pyproject) == "1.2.3"


# Declared versions -----------------------------------------------------------------------------

def _requirements(*groups: str) -> dict:
    from packaging.requirements import Requirement

    project = PYPROJECT["project"]
    lines = [*project["dependencies"], *(r for group in groups for r in project["optional-dependencies"][group])]
    return {req.name: req.specifier for req in map(Requirement, lines)}


def test_colabs_versions_lie_inside_the_declared_ranges():
    """Colab's own packages (NOTEBOOKS.md: its pip freeze) must satisfy vizlab's ranges, or the
    install cell of every lesson would replace them there. .ci/lowest tests the floors."""
    declared = _requirements()
    for name, version in {"ipywidgets": "7.7.1", "matplotlib": "3.10.0", "numpy": "2.1.3", "torch": "2.11.0",
                          "torchvision": "0.26.0"}.items():
        assert declared[name].contains(version), f"{name} {version} is outside {declared[name]}"
    assert not declared["matplotlib"].contains("3.8.4") and not declared["pillow"].contains("9.1.1")


def test_ipykernel_7_0_is_excluded_wherever_the_lessons_get_a_kernel():
    """ipykernel 7.0 lost output sent from threads; 7.1.0 fixed it."""
    from packaging.specifiers import SpecifierSet

    binder = (ROOT / "binder" / "environment.yml").read_text(encoding="utf-8")
    pinned = [line.split("#")[0].strip().removeprefix("- ").removeprefix("ipykernel")
              for line in binder.splitlines() if line.strip().startswith("- ipykernel")]
    for where, specifier in [("pyproject's lessons extra", _requirements("lessons")["ipykernel"]),
                             ("binder/environment.yml", SpecifierSet(*pinned))]:
        assert not specifier.contains("7.0.0") and not specifier.contains("7.0.1"), where
        assert specifier.contains("7.1.0") and specifier.contains("6.17.1"), where


# Build ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist, built from a clean copy of the tree, and the wheel, built from the unpacked sdist.

    Not from the tree itself: setuptools reuses a stale ``*.egg-info/SOURCES.txt`` lying there,
    which would ship files that a clean clone's build leaves out."""
    out, unpacked = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("sdist")
    clean = tmp_path_factory.mktemp("tree") / "tree"
    junk = {"build", "dist", "artifacts", "__pycache__"}
    shutil.copytree(ROOT, clean, ignore=lambda folder, names: [
        n for n in names if n in junk or n.startswith(".") or n.endswith((".egg-info", ".pyc"))])
    hook = "import importlib, sys; getattr(importlib.import_module(sys.argv[1]), sys.argv[2])(sys.argv[3])"
    backend = PYPROJECT["build-system"]["build-backend"]
    run([sys.executable, "-c", hook, backend, "build_sdist", out], cwd=clean)
    (sdist,) = out.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (source,) = unpacked.iterdir()
    run([sys.executable, "-c", hook, backend, "build_wheel", out], cwd=source)
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.mark.slow
def test_the_sdist_holds_what_a_rebuild_needs(dists):
    with tarfile.open(dists["sdist"]) as archive:
        top = f"{NAME.replace('-', '_')}-{VERSION}/"
        members = {m.name.removeprefix(top) for m in archive.getmembers() if m.isfile()}
    for essential in ["vizlab/models/train.py", "vizlab/models/weights/shapenet.pt", "vizlab/cli.py",
                      "tests/conftest.py", "solutions/lesson01.py", "tools/sync_links.py", LESSON.relative_to(ROOT).as_posix()]:
        assert essential in members
    assert source_files(ROOT) - members == set(), "add these to MANIFEST.in"


@pytest.mark.slow
def test_the_wheel_holds_the_package_its_data_and_the_command(dists):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"{NAME.replace('-', '_')}-{VERSION}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    package = {name for name in source_files(ROOT) if name.startswith("vizlab/")}
    assert package - names == set(), "the wheel misses these package files"
    assert {name.split("/")[0] for name in names} == {"vizlab", info}, "only the package goes into site-packages"
    assert f"Name: {NAME}\n" in metadata and f"Version: {VERSION}\n" in metadata
    assert "vizlab = vizlab.cli:main" in entry_points
    lessons = {path.name: path.read_bytes() for path in (ROOT / "lessons").glob("*.ipynb")}
    with zipfile.ZipFile(dists["wheel"]) as wheel:                # the notebooks, as the repository has them
        assert {name: wheel.read(f"vizlab/lessons/{name}") for name in lessons} == lessons


# Install into a fresh environment and use it from outside the tree ---------------------------

def borrowed_paths() -> set[str]:
    """This interpreter's site-packages, and the folders their ``.pth`` files add by a plain path
    line (.ci/lowest borrows torch that way): a borrowed ``.pth`` line does not run the ``.pth``
    files of the folder it adds, so those folders are borrowed by name too. Import lines, such
    as an editable install's finder, are not followed."""
    sites = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    added = set()
    for site in sites:
        for pth in Path(site).glob("*.pth"):
            for line in pth.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith(("#", "import ", "import\t")):
                    folder = Path(site) / line.strip()              # an absolute line stays absolute
                    if folder.is_dir():
                        added.add(str(folder))
    return sites | added


@pytest.fixture(scope="module")
def fresh(dists, tmp_path_factory) -> dict:
    """A new venv with the wheel installed; ``env`` runs its python with no trace of the source tree."""
    home = tmp_path_factory.mktemp("fresh")
    venv, work = home / "venv", home / "work"
    assert ROOT not in venv.parents, "the fresh environment must lie outside the source tree"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    borrowed = borrowed_paths()
    # The dev venv may live inside the checkout (README's `.venv`): what matters is that its
    # site-packages neither is the source tree nor holds a `vizlab` package (an editable install
    # is a .pth/finder there, which a borrowed path line does not run).
    assert not any(Path(path).resolve() == ROOT or (Path(path) / "vizlab").exists() for path in borrowed)
    (site / "_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    kernels = venv / "share" / "jupyter" / "kernels" / "python3"        # the lesson's kernel: this python
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh", "language": "python"}))
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "PIP_"))}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONNOUSERSITE="1", VIZLAB_OFFLINE="1", TORCH_HOME=str(home / "torch"),
               OMP_NUM_THREADS="1", MPLBACKEND="Agg", MPLCONFIGDIR=str(home / "mpl"),
               JUPYTER_PATH=str(venv / "share" / "jupyter"), IPYTHONDIR=str(home / "ipython"))
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
         "--disable-pip-version-check", "-q", dists["wheel"]], env=env, cwd=work)
    return {"python": python, "venv": venv, "site": site, "work": work, "env": env}


def in_fresh(fresh, *args) -> subprocess.CompletedProcess:
    return run(args, env=fresh["env"], cwd=fresh["work"])


@pytest.mark.slow
def test_the_fresh_environment_imports_the_wheel_not_the_source_tree(fresh):
    probe = ("import json, sys, importlib.metadata as m, vizlab; from vizlab.models import zoo; "
             f"print(json.dumps([vizlab.__file__, vizlab.__version__, m.version('{NAME}'), "
             "str(zoo.SHAPENET_WEIGHTS), zoo.SHAPENET_WEIGHTS.is_file(), sys.prefix]))")
    file, version, installed, weights, weights_exist, prefix = json.loads(in_fresh(fresh, fresh["python"], "-c", probe).stdout)
    assert Path(file).parent == fresh["site"] / "vizlab"
    assert Path(weights).is_relative_to(fresh["site"]) and weights_exist
    assert version == installed == VERSION
    assert Path(prefix) == fresh["venv"]


@pytest.mark.slow
def test_the_command_line_works_from_the_wheel(fresh):
    command = fresh["venv"] / "bin" / "vizlab"                  # the entry point pip wrote from the wheel
    assert command.read_text().startswith(f"#!{fresh['python']}")
    help_text = in_fresh(fresh, command, "--help").stdout
    assert all(word in help_text for word in ["train", "download", "lessons", "layers", "render"])
    out = fresh["work"] / "unit.png"
    in_fresh(fresh, command, "render", "conv3", "0", "--steps", "2", "--size", "32", "-o", out)   # shipped weights
    assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_vizlab_lessons_copies_the_notebooks_and_lesson_01_runs_from_there(fresh):
    """README's no-clone path: pip install, 'vizlab lessons DIR', open lesson 01 from DIR."""
    import nbformat

    folder = fresh["work"] / "my-lessons"
    out = in_fresh(fresh, fresh["venv"] / "bin" / "vizlab", "lessons", folder).stdout
    shipped = sorted((ROOT / "lessons").glob("*.ipynb"))
    assert f"copied {len(shipped)} lessons to {folder}" in out and f"jupyter lab {folder}" in out
    assert [path.read_bytes() for path in sorted(folder.iterdir())] == [path.read_bytes() for path in shipped]
    lesson = folder / LESSON.name
    notebook = nbformat.read(lesson, as_version=4)
    check = (f"import sys, vizlab\nassert sys.prefix == {str(fresh['venv'])!r}, sys.prefix\n"
             f"assert vizlab.__file__.startswith({str(fresh['site'] / 'vizlab')!r}), vizlab.__file__")
    notebook.cells.insert(0, nbformat.v4.new_code_cell(check))
    nbformat.write(notebook, lesson)
    runner = ("import sys, nbformat; from nbclient import NotebookClient; "
              "nb = nbformat.read(sys.argv[1], as_version=4); "
              "NotebookClient(nb, timeout=180, kernel_name='python3', "
              "resources={'metadata': {'path': sys.argv[2]}}).execute(); print('ran', len(nb.cells), 'cells')")
    assert "ran" in in_fresh(fresh, fresh["python"], "-c", runner, lesson, folder).stdout
