"""Reference solutions for lesson 02, and typical wrong answers the checks must catch."""


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
