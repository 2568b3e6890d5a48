import torch

from vizlab.relu_rules import relu_rules


def test_redirected_rule_passes_upward_signal_only_for_images_where_the_true_gradient_is_dead():
    z = torch.tensor([[-1.0, -2.0, -3.0],    # image 0: every unit dead
                      [-1.0, 2.0, -3.0]], requires_grad=True)  # image 1: one unit alive
    signal = torch.tensor([[1.0, -1.0, 2.0],
                           [1.0, -1.0, 2.0]])
    with relu_rules("redirected"):
        out = torch.relu(z)
    (grad,) = torch.autograd.grad(out, z, signal)
    # Dead image: the signal that would raise z flows, the one that would lower it does not.
    assert torch.equal(grad[0], torch.tensor([1.0, 0.0, 2.0]))
    # Living image: exactly the ordinary gradient.
    assert torch.equal(grad[1], torch.tensor([0.0, -1.0, 0.0]))
