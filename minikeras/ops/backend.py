"""Which array module an op computes with: numpy, or autograd's numpy while autograd traces the call.

Every Keras op in `minikeras.ops` asks `array_module(*args)` per call. Until something has
imported `autograd` nothing can be traced, so the answer is numpy at the cost of one dict lookup
(`import minikeras` never imports autograd). Once autograd is loaded, an argument that is an
autograd `Box` (a value being traced by `autograd.grad` / `make_vjp`) selects `autograd.numpy`,
whose functions record what they do so the gradient can be taken; anything else still gets numpy.

Ops that autograd.numpy cannot differentiate (or differentiates slowly) are written as a numpy
forward plus their vector-Jacobian products; `differentiable` turns such a pair into a function
that runs the forward directly on arrays and registers it as an autograd primitive, on first
traced use, when a Box comes in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np


def _box_type() -> type | None:
    """autograd's Box class once autograd is imported, else None (never imports it)."""
    if "autograd" not in sys.modules:
        return None
    tracer = sys.modules.get("autograd.tracer")
    if tracer is None:  # autograd is still importing itself
        return None
    return tracer.Box


def is_traced(x: Any) -> bool:
    """Whether `x` is a value autograd is tracing (an autograd `Box`)."""
    box = _box_type()
    return box is not None and isinstance(x, box)


def array_module(*args: Any) -> Any:
    """The array module to compute an op on `args` with: `autograd.numpy` if any is traced, else numpy.

    Lists and tuples among `args` (as `concatenate` and `stack` take) are looked into one level deep.

    Args:
        *args: the op's array arguments (other arguments may be passed too; they are ignored).

    Returns:
        The module `numpy` or `autograd.numpy`.
    """
    box = _box_type()
    if box is None:
        return np
    for arg in args:
        if isinstance(arg, box) or (isinstance(arg, (list, tuple)) and any(isinstance(item, box) for item in arg)):
            import autograd.numpy as anp  # already loaded: autograd is in sys.modules

            return anp
    return np


def value_of(x: Any) -> Any:
    """The array inside `x` without its autograd trace (`x` itself when it is not traced)."""
    box = _box_type()
    while box is not None and isinstance(x, box):
        x = getattr(x, "_value")  # noqa: B009  (Box's field; mypy sees only `type`)
    return x


def differentiable(forward: Callable[..., Any], *vjp_makers: Callable[..., Any] | None) -> Callable[..., Any]:
    """Make `forward` differentiable by autograd with the given vector-Jacobian products.

    `forward(*args, **kwargs)` computes on numpy arrays. Each `vjp_makers[i]` is called as
    `maker(ans, *args, **kwargs)` (autograd's convention) and returns `g -> gradient wrt args[i]`;
    None marks an argument nothing differentiates through. Positions past the makers take no
    traced values.

    Returns:
        A function with `forward`'s signature: plain numpy when no argument is traced, otherwise
        autograd's primitive of `forward` (registered once, on the first traced call).
    """
    registered: list[Callable[..., Any]] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if array_module(*args[: len(vjp_makers)]) is np:
            return forward(*args, **kwargs)
        if not registered:
            from autograd.extend import defvjp, primitive

            traced = primitive(forward)
            defvjp(traced, *vjp_makers)
            registered.append(traced)
        return registered[0](*args, **kwargs)

    call.__name__ = getattr(forward, "__name__", "differentiable")
    call.__doc__ = forward.__doc__
    return call
