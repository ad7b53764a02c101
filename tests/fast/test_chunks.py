"""minikeras.fast.chunks: a batch cut into chunks of samples, run and put back together as one pass.

The steps that use it (fast.conv2d, fast.conv_pool) are checked in chunks against their
layers in their own tests; here, the runner itself.
"""

import numpy as np
import pytest

from minikeras.fast import chunks


def test_a_batch_that_fits_is_one_chunk_and_a_larger_one_is_cut_by_the_chunk_size():
    assert chunks.sample_chunks(32, 1000) == [slice(0, 32)]
    assert chunks.sample_chunks(0, 1000) == [slice(0, 0)]
    assert chunks.sample_chunks(10, chunks.CHUNK_VALUES // 3) == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
    assert len(chunks.sample_chunks(7, 10, 1)) == 7  # one sample per chunk
    assert [part.stop for part in chunks.sample_chunks(5, 7 * 6 * 22, 2000)] == [2, 4, 5]


@pytest.mark.parametrize("samples, values_per_sample, chunk_values", [(7, 10, 1), (5, 7 * 6 * 22, 2000), (9, 0, 1)])
def test_chunks_cover_the_batch_in_order_with_at_least_one_sample_each(samples, values_per_sample, chunk_values):
    cut = chunks.sample_chunks(samples, values_per_sample, chunk_values)
    assert cut[0].start == 0 and cut[-1].stop == samples
    assert all(a.stop == b.start for a, b in zip(cut, cut[1:]))
    assert all(part.stop - part.start >= 1 for part in cut)
    per_chunk = max(1, chunk_values // max(1, values_per_sample))
    assert all(part.stop - part.start == per_chunk for part in cut[:-1])


@pytest.mark.parametrize("writes_into_out", [True, False])
@pytest.mark.parametrize("chunk_values", [1, 6, 1000])
def test_forward_in_chunks_puts_each_chunks_rows_in_place(writes_into_out, chunk_values):
    x = np.arange(5 * 3, dtype=np.float64).reshape(5, 3)
    calls = []

    def forward_chunk(x_chunk, index, out):
        calls.append((index, len(x_chunk), out is None))
        y = 2 * x_chunk[:, :2]
        if out is not None and writes_into_out:
            out[...] = y
            return out, ("cache", index)
        return y, ("cache", index)

    y, caches = chunks.forward_in_chunks(x, 3, (2,), np.float64, forward_chunk, chunk_values)
    np.testing.assert_array_equal(y, 2 * x[:, :2])
    cut = chunks.sample_chunks(5, 3, chunk_values)
    assert [rows for rows, _ in caches] == cut
    assert [cache for _, cache in caches] == [("cache", index) for index in range(len(cut))]
    # a batch of one chunk gets no `out`: its output is returned as it is
    assert [(index, out_is_none) for index, _, out_is_none in calls] == [(i, len(cut) == 1) for i in range(len(cut))]


@pytest.mark.parametrize("chunk_values", [1, 6, 1000])
@pytest.mark.parametrize("input_gradient", [True, False])
def test_backward_in_chunks_sums_the_matrix_gradients_and_places_the_input_gradients(chunk_values, input_gradient):
    rng = np.random.default_rng(0)
    grad = rng.normal(size=(5, 4))
    caches = [(rows, rows.start) for rows in chunks.sample_chunks(5, 3, chunk_values)]

    def backward_chunk(grad_chunk, start):
        matrix = np.outer(np.arange(3.0) + start, grad_chunk.sum(axis=0))
        return matrix, (grad_chunk * 3 if input_gradient else None)

    matrix_grad, grad_x = chunks.backward_in_chunks(caches, grad, (5, 4), backward_chunk)
    expected = sum(np.outer(np.arange(3.0) + rows.start, grad[rows].sum(axis=0)) for rows, _ in caches)
    np.testing.assert_allclose(matrix_grad, expected, rtol=1e-14)
    if input_gradient:
        np.testing.assert_array_equal(grad_x, grad * 3)
    else:
        assert grad_x is None
