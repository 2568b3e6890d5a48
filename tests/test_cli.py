import subprocess
import sys

from vizlab.cli import main


def test_layers_lists_shapenet(capsys):
    assert main(["layers", "shapenet"]) == 0
    out = capsys.readouterr().out
    assert "conv1" in out and "16x32x32" in out


def test_errors_are_one_clear_line_and_exit_code_2(capsys, monkeypatch):
    assert main(["layers", "shapenett"]) == 2
    assert "Unknown model 'shapenett'" in capsys.readouterr().err
    monkeypatch.setenv("VIZLAB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", "/nonexistent-vizlab-test")
    assert main(["download", "alexnet"]) == 2
    assert "no alexnet weights" in capsys.readouterr().err


def test_download_without_the_weights_says_in_one_line_where_to_put_them(capsys, monkeypatch, tmp_path):
    import urllib.error

    from vizlab.models import zoo

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    expected = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    for offline, reason in ((True, "VIZLAB_OFFLINE is set"), (False, "download failed (<urlopen error no network>)")):
        if offline:
            monkeypatch.setenv("VIZLAB_OFFLINE", "1")
        else:
            monkeypatch.delenv("VIZLAB_OFFLINE", raising=False)
            monkeypatch.setattr(zoo, "_download", lambda url, path: (_ for _ in ()).throw(urllib.error.URLError("no network")))
        assert main(["download", "resnet18"]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, err
        assert reason in err and str(expected) in err and "TORCH_HOME" in err
        assert ("unset VIZLAB_OFFLINE" in err) == offline
        assert "vizlab download" not in err.removeprefix("vizlab download:")   # not the command that just failed


def _lessons(capsys, *args) -> str:
    assert main(["lessons", *map(str, args)]) == 0
    return capsys.readouterr().out


def test_lessons_copies_every_notebook_and_keeps_a_students_edits_unless_forced(capsys, tmp_path):
    from vizlab.cli import lessons_folder

    originals = {path.name: path.read_bytes() for path in lessons_folder().glob("*.ipynb")}
    assert len(originals) >= 10
    target = tmp_path / "course" / "lessons"                        # created, parents too
    assert f"copied {len(originals)} lessons to {target}" in _lessons(capsys, target)
    assert {path.name: path.read_bytes() for path in target.iterdir()} == originals

    edited, removed = sorted(originals)[0], sorted(originals)[-1]
    (target / edited).write_bytes(b'{"my": "answers"}')
    (target / removed).unlink()
    out = _lessons(capsys, target)                                   # the student's work survives
    assert "copied 1 lesson to" in out and f"kept your edited {edited}" in out and "--force" in out
    assert (target / edited).read_bytes() == b'{"my": "answers"}'
    assert (target / removed).read_bytes() == originals[removed]

    assert "copied 1 lesson to" in _lessons(capsys, target, "--force")
    assert (target / edited).read_bytes() == originals[edited]
    assert "copied 0 lessons" in _lessons(capsys, target) and "jupyter lab" in _lessons(capsys, target)


def test_lessons_into_a_file_is_one_clear_error(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["lessons", str(tmp_path / "notes.txt")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_python_dash_m_vizlab_runs():
    result = subprocess.run([sys.executable, "-m", "vizlab", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout


def test_lessons_without_a_folder_copies_into_vizlab_lessons_here(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "jupyter lab vizlab-lessons" in _lessons(capsys)
    assert len(list((tmp_path / "vizlab-lessons").glob("*.ipynb"))) >= 10
