"""The adversarial explorer, headless: starts on display, streams every step, restarts on a
change of eps, stops, and leaves the model as it was."""
import io

import torch
from PIL import Image

from conftest import assert_unchanged, snapshot, drive, show
from vizlab.widgets import AdversarialExplorer



def explorer(shapenet, **options):
    w = AdversarialExplorer(shapenet, **options)
    w.slice_s = 0                                # one frame per slice: every step is shown
    return w


def test_it_starts_when_shown_and_streams_every_step(shapenet):
    w = explorer(shapenet, steps=4)
    assert w.runs_started == 0 and w.before.value.count("<tr>") == 5
    show(w)
    drive(w, lambda: w.runs_started == 1)
    w.wait()
    assert w.frames_shown == 5 and w.last_frame.status == "done"
    assert "after step 4" in w.after.value and "perturbation x" in w.factor.value


def test_moving_eps_changes_the_adversarial_image_and_the_predictions(shapenet):
    before = snapshot(shapenet)
    w = explorer(shapenet, eps=0.5 / 255, steps=5)
    w.run()
    w.wait()
    small = (w.adversarial_view.value, w.after.value, w.last_frame)
    w.eps.value = 16
    drive(w, lambda: w.runs_started == 2)
    w.wait()
    assert w.adversarial_view.value != small[0] and w.after.value != small[1]
    assert int(w.last_frame.logits.argmax()) != int(small[2].logits.argmax())   # 16/255 flips it
    assert_unchanged(shapenet, before)


def test_fgsm_disables_steps_and_a_target_is_used(shapenet):
    w = explorer(shapenet)
    w.method.value = "fgsm"
    w.stop()
    assert w.steps.disabled and w.settings().steps is None
    w.target.value = 3
    w.stop()
    assert w.settings().target == 3
    w.target.value = -2
    w.stop()
    assert w.settings().target == "least_likely"


def test_stop_ends_a_long_run_and_leaves_the_model_as_it_was(shapenet):
    before = snapshot(shapenet)
    w = explorer(shapenet, steps=100)
    w.run()
    drive(w, lambda: w.frames_shown >= 2)
    w.stop()
    w.wait()
    assert "stopped by request" in w.status.value and w.last_frame.step < 100
    assert not w.run_button.disabled and w.stop_button.disabled
    assert_unchanged(shapenet, before)


def test_an_uploaded_image_is_resized_and_attacked(shapenet):
    w = explorer(shapenet, steps=2)
    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), (200, 30, 30)).save(buffer, format="PNG")
    w._on_upload({"new": ({"name": "red.png", "content": buffer.getvalue()},)})
    assert w.image.value == "upload: red.png" and w.current_image.shape == (3, 64, 64)
    drive(w, lambda: w.runs_started == 1)
    w.wait()
    assert w.frames_shown == 3 and torch.is_tensor(w.last_frame.adversarial)
