"""The fast paths: code that exists only for speed, each piece equal to a reference it names.

`minikeras.layers` and `minikeras.optimizers` hold the reference algorithms, written to be
read: one im2col matrix and three products for a convolution, one weight at a time for an
optimizer. This package computes the same numbers with less memory traffic and fewer numpy
calls. `minikeras.config.set_fast_paths(False)` (or `with minikeras.config.fast_paths(False):`)
switches all of it off, and the tests compare the two paths through that switch.

Each module, what it buys, and the reference it must equal:

- `plan`: picks, for a model's layer list, the step that runs each layer.
  Reference: each layer's `forward` / `backward`.
- `conv2d`: a large batch in cache-sized chunks; the bias under the kernel matrix; dL/dx kernel
  row by kernel row. Reference: `Conv2D.forward` / `Conv2D.backward`.
- `conv_pool`: a Conv2D and the 2x2 max pooling after it as one step: pooling as three maxima of
  whole blocks, ReLU on a quarter of the values. Reference: `MaxPooling2D.forward(Conv2D.forward(x))`
  and both backward passes.
- `dense`: bias added in place, its gradient as a product with ones, gradients written where the
  optimizer reads them. Reference: `Dense.forward` / `Dense.backward`.
- `softmax`: backward from the softmax's input when a cross-entropy follows.
  Reference: `Softmax.backward` after the loss's gradient.
- `chunks`: the chunk runner `conv2d` and `conv_pool` share. Reference: one pass over the whole batch.
- `windows`: im2col by pool offset and by column phase, copies by whole runs, col2im without the
  padding's gradient. Reference: `ops.im2col`, `ops.col2im`, `ops.pad_spatial`.
- `work_buffers`: training temporaries reused from step to step. Reference: fresh arrays every step.
- `flat_update`: all weights' gradients and optimizer slots in one flat array each, a few
  whole-array operations per step. Reference: `Optimizer.update_step`, weight by weight.

Nothing outside `minikeras.models` and `minikeras.optimizers` calls into this package, and it
never changes what a layer, an optimizer or a file holds: only how fast it is computed.
"""
