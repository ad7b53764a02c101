"""Running a convolution over a large batch chunk by chunk, forward and backward.

The reference `Conv2D` makes one im2col matrix for the whole batch: at batch 256 of 28x28
images that is tens of megabytes, streamed from memory by every pass over it. Cut into
chunks of samples whose matrix and product hold about `CHUNK_VALUES` values, each pass reads
what the previous one left in cache. The results are those of one whole-batch pass: each
output row depends on its own sample only, and the kernel gradient is the sum of the chunks'
(only the order of that sum differs).

`minikeras.fast.conv2d` and `minikeras.fast.conv_pool` share this: each supplies what one
chunk does, and these put the chunks' outputs, kernel-matrix gradients and input gradients
together.
"""

from __future__ import annotations

import numpy as np

# Values (4 MB in float32) in one chunk of a convolution's batch: the im2col matrix and the
# product of a chunk of samples stay about this size, so each step on a chunk reads what the
# previous one left in cache (the level-3 one, at least) instead of streaming from memory.
# Of 2^18 to 2^22, this measured best for batches of 256 and 512 and for 112x112 images.
CHUNK_VALUES = 1 << 20


def sample_chunks(samples: int, values_per_sample: int, chunk_values: int = CHUNK_VALUES) -> list[slice]:
    """Consecutive ranges of `samples` holding about `chunk_values` values each (at least one sample).

    A batch that fits is one range: small batches take no extra step.
    """
    per_chunk = max(1, chunk_values // max(1, values_per_sample))
    if samples <= per_chunk:
        return [slice(0, samples)]
    return [slice(start, min(start + per_chunk, samples)) for start in range(0, samples, per_chunk)]


def forward_in_chunks(
    x: np.ndarray, values_per_sample: int, sample_shape: tuple, dtype, forward_chunk, chunk_values: int = CHUNK_VALUES
):
    """Run `forward_chunk(x_chunk, index, out)` over the chunks of the batch `x`.

    Args:
        x: the batch, samples on the first axis.
        values_per_sample: what one sample's im2col matrix and product hold (for the chunk size).
        sample_shape: the shape of one sample's output.
        dtype: the output's dtype.
        forward_chunk: returns `(output of the chunk, cache)`. It may write its output into
            `out` (the chunk's rows of the batch output, or None when the batch is one chunk);
            an output elsewhere is copied there.
        chunk_values: about how many values one chunk's im2col matrix and product hold.

    Returns:
        `(output (batch, *sample_shape), [(rows, cache) for each chunk])`.
    """
    chunks = sample_chunks(len(x), values_per_sample, chunk_values)
    if len(chunks) == 1:
        y, cache = forward_chunk(x, 0, None)
        return y, [(chunks[0], cache)]
    y = np.empty((len(x), *sample_shape), dtype=dtype)
    caches = []
    for index, rows in enumerate(chunks):
        out = y[rows]
        chunk_y, cache = forward_chunk(x[rows], index, out)
        if not np.may_share_memory(chunk_y, out):
            out[...] = chunk_y
        caches.append((rows, cache))
    return y, caches


def backward_in_chunks(chunk_caches: list, grad: np.ndarray, input_shape: tuple, backward_chunk):
    """Run `backward_chunk(grad_chunk, cache)` over the chunks `forward_in_chunks` returned.

    Args:
        chunk_caches: `[(rows, cache)]` from `forward_in_chunks`.
        grad: dL/d(output) of the whole batch.
        input_shape: the batch input's shape (for dL/dx).
        backward_chunk: returns `(cols^T dL/dz of the chunk, dL/dx of the chunk or None)`.

    Returns:
        `(the kernel-matrix gradient summed over the chunks, dL/dx of the batch or None)`.
    """
    matrix_grad = grad_x = None
    for rows, cache in chunk_caches:
        chunk_matrix_grad, chunk_grad_x = backward_chunk(grad[rows], cache)
        if matrix_grad is None:
            matrix_grad = chunk_matrix_grad
        else:
            matrix_grad += chunk_matrix_grad  # the first chunk's product is a fresh array
        if chunk_grad_x is None:
            continue
        if len(chunk_caches) == 1:
            grad_x = chunk_grad_x
        else:
            if grad_x is None:
                grad_x = np.empty(input_shape, dtype=chunk_grad_x.dtype)
            grad_x[rows] = chunk_grad_x
    return matrix_grad, grad_x
