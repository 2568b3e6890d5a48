"""Lessons 04 and 05 in a real browser: they run without errors, their widgets render, and the
attribution explorer redraws its map when a student picks another method, layer or image."""

import pytest

try:  # the harness (tests/browser/lab_page.py and conftest.py) comes from main
    from .lab_page import (
        REPO_ROOT, assert_no_errors, assert_widgets_rendered, image_update_count, open_notebook,
        run_all_cells, save_screenshot, select_dropdown, widget_labelled,
    )
except ImportError:
    pytest.skip("the browser test harness (tests/browser/lab_page.py) is not in this checkout",
                allow_module_level=True)

LESSON04 = "lessons/04_saliency_maps.ipynb"
LESSON05 = "lessons/05_guided_backprop_and_deconvnet.ipynb"

# The pictures of the widget that holds a dropdown, as data: URLs (an ipywidgets Image gets a new
# blob: URL on every update, even for the same picture, so blobs are read back as data).
IMAGES_NEAR_DROPDOWN = """async (description) => {
  const dropdown = [...document.querySelectorAll('.widget-dropdown')].find(
    (d) => d.querySelector('.widget-label')?.textContent.trim() === description);
  let box = dropdown.parentElement;
  while (box && !box.querySelector('img')) box = box.parentElement;
  const read = async (img) => {
    if (!img.src.startsWith('blob:')) return img.src;
    const blob = await (await fetch(img.src)).blob();
    return await new Promise((done) => { const r = new FileReader(); r.onload = () => done(r.result); r.readAsDataURL(blob); });
  };
  return box ? await Promise.all([...box.querySelectorAll('img')].map(read)) : [];
}"""


def images_near_dropdown(page, description: str) -> list[str]:
    widget_labelled(page, ".widget-dropdown", description).wait_for()
    images = page.evaluate(IMAGES_NEAR_DROPDOWN, description)
    assert len(images) == 3, f"expected the image, map and overlay next to {description!r}, found {len(images)}"
    return images


@pytest.mark.browser
@pytest.mark.skipif(not (REPO_ROOT / LESSON04).exists(), reason="lesson 04 not written yet")
def test_lesson04_runs_cleanly(page):
    open_notebook(page, LESSON04)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)
    save_screenshot(page, LESSON04)


@pytest.mark.browser
@pytest.mark.skipif(not (REPO_ROOT / LESSON05).exists(), reason="lesson 05 not written yet")
def test_lesson05_explorer_redraws_for_method_layer_and_image(page):
    open_notebook(page, LESSON05)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)

    image, saliency_map, _ = images_near_dropdown(page, "method")
    updates = image_update_count(page)
    select_dropdown(page, "method", "Grad-CAM")
    assert_no_errors(page)  # the callback must not raise
    assert image_update_count(page) > updates, "choosing Grad-CAM redrew no image"
    _, gradcam_map, _ = images_near_dropdown(page, "method")
    assert gradcam_map != saliency_map, "the map did not change with the method"

    select_dropdown(page, "layer", "conv3")
    assert_no_errors(page)
    assert images_near_dropdown(page, "method")[1] != gradcam_map, "the Grad-CAM map ignored the layer"

    select_dropdown(page, "image", "photo (Grace Hopper)")
    assert_no_errors(page)
    assert images_near_dropdown(page, "method")[0] != image, "the chosen image is not shown"

    widget_labelled(page, ".widget-dropdown", "method").scroll_into_view_if_needed()
    save_screenshot(page, LESSON05)
