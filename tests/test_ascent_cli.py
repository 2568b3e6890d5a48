"""``vizlab render``: a PNG without a notebook, with progress and clear errors."""
from PIL import Image

from vizlab.cli import main


def test_render_writes_a_png(tmp_path, capsys):
    out = tmp_path / "unit.png"
    assert main(["render", "conv3", "5", "--steps", "8", "--size", "32", "--scale", "2", "-o", str(out)]) == 0
    image = Image.open(out)
    assert image.size == (64, 64) and image.mode == "RGB"
    captured = capsys.readouterr()
    assert "100%|" in captured.err and "8/8" in captured.err and f"saved {out}" in captured.out  # a tqdm bar


def test_the_same_seed_renders_the_same_png(tmp_path):
    paths = [tmp_path / f"{i}.png" for i in range(2)]
    for path in paths:
        assert main(["render", "conv2", "1", "--steps", "4", "--size", "32", "-o", str(path)]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_render_errors_are_one_clear_line(tmp_path, capsys):
    assert main(["render", "conv9", "0", "--steps", "2", "-o", str(tmp_path / "x.png")]) == 2
    assert "Unknown layer 'conv9'" in capsys.readouterr().err
    assert main(["render", "conv3", "64", "--steps", "2", "--size", "32", "-o", str(tmp_path / "x.png")]) == 2
    assert "valid: 0..63" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
