"""Cascading randomization (on a copy), Spearman correlation, and scores against the masks."""
import pytest
import torch

from conftest import assert_unchanged, snapshot, tiny_net
from vizlab.attribution import channel_max, gradcam, guided_backprop, saliency
from vizlab.attribution.sanity import cascading_randomization, default_methods, spearman
from vizlab.attribution.scores import mass_inside, pointing_game, score_methods


def test_spearman_matches_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    torch.manual_seed(0)
    a = torch.randint(0, 5, (3, 40)).float()  # many ties
    b = a + torch.randn(3, 40)
    want = [stats.spearmanr(a[i].numpy(), b[i].numpy()).statistic for i in range(3)]
    torch.testing.assert_close(spearman(a, b), torch.tensor(want, dtype=torch.float32))
    torch.testing.assert_close(spearman(a, a), torch.ones(3))
    torch.testing.assert_close(spearman(a, -a), -torch.ones(3))
    # monotone transforms do not change ranks
    torch.testing.assert_close(spearman(b, b.exp()), torch.ones(3))


def test_cascading_randomization_works_on_a_copy_and_destroys_the_gradient_map(shapenet):
    from vizlab import make_shapes

    images = make_shapes(3, seed=2).images
    before = snapshot(shapenet)
    check = cascading_randomization(shapenet, images, methods=default_methods("conv4"))
    assert_unchanged(shapenet, before)
    assert check.steps == ["trained", "fc", "conv4", "conv3", "conv2", "conv1"]
    assert check.methods == ["gradient", "guided backprop", "Grad-CAM"]
    assert check.similarity.shape == (6, 3) and torch.allclose(check.similarity[0], torch.ones(3))
    assert check.maps["gradient"].shape == (6, 3, 64, 64)
    # the maps of the first step are those of the trained model
    torch.testing.assert_close(check.maps["gradient"][0], saliency(shapenet, images))
    # a fully randomized network gives a different gradient map; if nothing were randomized it would be 1
    assert check.similarity[-1, 0] < 0.6
    assert "randomized up to" in str(check) and "conv3" in str(check)


def test_randomization_explains_the_trained_models_class_and_is_seeded():
    model = tiny_net()
    images = torch.rand(2, 3, 8, 8)
    seen = []

    def spy(m, x, t):
        seen.append(torch.as_tensor(t).tolist())
        return saliency(m, x, t)

    one = cascading_randomization(model, images, methods={"spy": spy}, layers=["fc", "conv2"], seed=3)
    assert all(t == model(images).argmax(1).tolist() for t in seen)
    two = cascading_randomization(model, images, methods={"gradient": saliency}, layers=["fc", "conv2"], seed=3)
    torch.testing.assert_close(one.similarity, two.similarity)
    assert one.steps == ["trained", "fc", "conv2"]
    with pytest.raises(ValueError, match="Unknown layers"):
        cascading_randomization(model, images, layers=["fc9"])


def test_mass_inside_and_pointing_game_on_known_maps():
    masks = torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[:, :2, :2] = True                                   # a quarter of each image
    uniform = torch.ones(3, 4, 4)
    torch.testing.assert_close(mass_inside(uniform, masks), torch.full((3,), 0.25))
    torch.testing.assert_close(mass_inside(masks.float() * 7, masks), torch.ones(3))
    torch.testing.assert_close(mass_inside(-(~masks).float(), masks), torch.zeros(3))  # |map| is the mass
    peaks = torch.zeros(3, 4, 4)
    peaks[0, 1, 1], peaks[1, 3, 3], peaks[2, 0, 3] = 1, -5, 2
    assert pointing_game(peaks, masks).tolist() == [True, False, False]
    with pytest.raises(ValueError, match="channel_max"):
        mass_inside(torch.ones(3, 3, 4, 4), masks)


def test_score_methods_against_an_oracle_and_an_adversary(shapenet):
    from vizlab import make_shapes

    truth = make_shapes(8, seed=1)

    def lookup(images):  # the mask of each image, found by matching the images
        return torch.stack([truth.masks[(truth.images == im).flatten(1).all(1)][0] for im in images])

    methods = {
        "oracle": lambda m, x, t: lookup(x).float(),
        "adversary": lambda m, x, t: (~lookup(x)).float(),
        "gradient": saliency,
    }
    scores = score_methods(shapenet, methods, n=8, batch_size=3)
    assert scores.mass[:2] == [1.0, 0.0] and scores.pointing[:2] == [1.0, 0.0]
    assert scores.baseline == pytest.approx(truth.masks.float().mean().item())
    assert 0 < scores.mass[2] < 1 and "pointing game" in str(scores)


def test_trained_shapenet_maps_beat_the_uniform_baseline(shapenet):
    """A measured property: on the trained model, gradient-based maps put more mass on the object
    than a uniform map would."""
    scores = score_methods(shapenet, {
        "gradient": saliency,
        "guided backprop": lambda m, x, t: channel_max(guided_backprop(m, x, t)),
        "Grad-CAM": lambda m, x, t: gradcam(m, x, t, layer="conv4"),
    }, n=32)
    assert all(m > 1.5 * scores.baseline for m in scores.mass)


def test_a_constant_map_is_left_out_of_the_mean_and_the_table_says_so():
    """Grad-CAM's map is often constant (all zero) once layers are random: one such image must
    not turn the whole column into NaN."""
    model = tiny_net()
    images = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))

    def first_image_flat(m, x, t):                          # image 0's map has no rank order
        maps = saliency(m, x, t)
        maps[0] = 0.0
        return maps

    def all_flat(m, x, t):
        return torch.zeros(len(x), 8, 8)

    check = cascading_randomization(model, images, layers=["fc", "conv2"],
                                    methods={"gradient": saliency, "one flat": first_image_flat, "flat": all_flat})
    rho = [spearman(check.maps["gradient"][s], check.maps["gradient"][0]) for s in range(3)]
    rho_flat = [spearman(check.maps["one flat"][s, 1:], check.maps["one flat"][0, 1:]) for s in range(3)]
    torch.testing.assert_close(check.similarity[:, 0], torch.stack(rho).mean(1))
    torch.testing.assert_close(check.similarity[:, 1], torch.stack(rho_flat).mean(1))
    assert check.ranked[:, :2].tolist() == [[4, 3]] * 3 and check.ranked[:, 2].tolist() == [0] * 3
    assert check.similarity[:, 2].isnan().all()
    table = str(check)
    assert "nan" not in table and "(3/4)" in table and "no rank order" in table
    assert f"{check.similarity[1, 1]:.3f} (3/4)" in table


def test_the_sanity_figure_captions_the_drawn_images_correlation_not_the_mean():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")  # no display in CI
    import matplotlib.pyplot as plt
    from vizlab.attribution.plot import plot_sanity

    model = tiny_net()
    images = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    check = cascading_randomization(model, images, methods={"gradient": saliency}, layers=["fc", "conv2"])
    rho = check.per_image("gradient")
    torch.testing.assert_close(rho.mean(1), check.similarity[:, 0])
    fig = plot_sanity(check, image=2)
    titles = [ax.get_title() for ax in fig.axes]
    plt.close(fig)
    assert titles == [f"{step}\nρ={value:.2f}" for step, value in zip(check.steps, rho[:, 2].tolist())]
