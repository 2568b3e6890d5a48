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
    assert "load_model('shapenet')" in capsys.readouterr().err


def test_python_dash_m_vizlab_runs():
    result = subprocess.run([sys.executable, "-m", "vizlab", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout
