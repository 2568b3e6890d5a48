"""Reference solutions for lesson 02, and typical wrong answers the checks must catch."""
import torch


def receptive_field_size(layers):
    size, jump = 1, 1
    for kernel, stride, padding, dilation in layers:
        size += dilation * (kernel - 1) * jump
        jump *= stride
    return size, jump


def unit_rows(y, layers):
    size, jump, pad = 1, 1, 0
    for kernel, stride, padding, dilation in layers:
        size += dilation * (kernel - 1) * jump
        pad += padding * jump
        jump *= stride
    top = y * jump - pad
    return top, top + size


def _jump_after(layers):       # multiplies the jump before growing
    size, jump = 1, 1
    for kernel, stride, padding, dilation in layers:
        jump *= stride
        size += dilation * (kernel - 1) * jump
    return size, jump


def _no_dilation(layers):
    size, jump = 1, 1
    for kernel, stride, padding, dilation in layers:
        size += (kernel - 1) * jump
        jump *= stride
    return size, jump


def _no_padding(y, layers):
    size, jump = receptive_field_size(layers)
    return y * jump, y * jump + size


def _inclusive_bottom(y, layers):
    top, bottom = unit_rows(y, layers)
    return top, bottom - 1


WRONG = {
    "q1": [_jump_after, _no_dilation, lambda layers: (len(layers), 1)],
    "q2": [_no_padding, _inclusive_bottom],
}


def update_top_k(values, indices, new_values, new_indices, k):
    all_values = torch.cat([values, new_values])
    all_indices = torch.cat([indices, new_indices])
    order = all_values.argsort(descending=True, stable=True)[:k]
    return all_values[order], all_indices[order]


def _batch_only(values, indices, new_values, new_indices, k):    # forgets the running top-k
    order = new_values.argsort(descending=True)[:k]
    return new_values[order], new_indices[order]


def _ascending(values, indices, new_values, new_indices, k):     # the right k, smallest first
    best, ids = update_top_k(values, indices, new_values, new_indices, k)
    return best.flip(0), ids.flip(0)


def _positions(values, indices, new_values, new_indices, k):     # positions in the concatenation, not image ids
    all_values = torch.cat([values, new_values])
    best = all_values.topk(min(k, len(all_values)))
    return best.values, best.indices


def _in_place(values, indices, new_values, new_indices, k):      # sorts the caller's batch in place
    new_values[:], order = new_values.sort(descending=True)
    new_indices[:] = new_indices[order]
    return update_top_k(values, indices, new_values, new_indices, k)


def _always_k(values, indices, new_values, new_indices, k):      # fails while fewer than k were seen
    all_values = torch.cat([values, new_values])
    best = all_values.topk(k)
    return best.values, torch.cat([indices, new_indices])[best.indices]


WRONG["q3"] = [_batch_only, _ascending, _positions, _in_place, _always_k]
