"""`InputSpec`: what a layer accepts as input, checked before the layer computes anything.

A layer declares its rank rules when it is made (Conv2D: rank 4; Dense: rank >= 2) and, once
built, the axes its weights fix (Dense: the last axis; Conv2D: the channel axis). Every other
axis may change from call to call: a Conv2D built on 28 x 28 images accepts 32 x 32 ones, a Dense
built on `(batch, 4)` accepts `(batch, 7, 4)`. This is Keras's `InputSpec`, with the same argument
names and the same wording of its errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class InputSpec:
    """The rank, and the sizes of some axes, that a layer's input must have.

    Shapes include the batch axis. A `None` in a shape, or an axis not listed, accepts any size.

    Args:
        shape: optional full expected shape (entries may be None); it also fixes the rank.
        ndim: the exact rank, or None.
        max_ndim: the largest rank accepted, or None.
        min_ndim: the smallest rank accepted, or None.
        axes: `{axis: size}` for the axes whose size is fixed; an axis may be negative
            (`{-1: 4}`: the last axis must be 4, whatever the rank).

    Example:
        >>> spec = InputSpec(min_ndim=2, axes={-1: 4})
        >>> spec.assert_compatible((None, 7, 4), "dense")  # passes: only the last axis is fixed
        >>> spec.assert_compatible((2, 5), "dense")
        Traceback (most recent call last):
        ValueError: Input 0 of layer 'dense' is incompatible with the layer: expected axis -1 of input shape to have value 4, but received input with shape (2, 5)
    """  # noqa: E501

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: Mapping[int, int | None] | None = None,
    ) -> None:
        self.shape = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.ndim = len(self.shape) if self.shape is not None else (None if ndim is None else int(ndim))
        self.max_ndim = None if max_ndim is None else int(max_ndim)
        self.min_ndim = None if min_ndim is None else int(min_ndim)
        try:
            self.axes = {int(axis): None if size is None else int(size) for axis, size in (axes or {}).items()}
        except (TypeError, ValueError, AttributeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes!r}") from None
        largest_rank = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and largest_rank is not None and max(self.axes) >= largest_rank:
            raise ValueError(
                f"Axis {max(self.axes)} is greater than the maximum allowed value: {largest_rank - 1}. "
                f"Received: axes={self.axes}, ndim={largest_rank}"
            )

    def assert_compatible(self, shape: Sequence[int | None], layer_name: str, input_index: int = 0) -> None:
        """Raise a ValueError naming the layer if an input of `shape` does not fit this spec.

        The message starts as Keras's does: `Input 0 of layer 'conv2d' is incompatible with the layer: ...`.
        """
        shape = tuple(shape)
        rank = len(shape)
        prefix = f"Input {input_index} of layer '{layer_name}' is incompatible with the layer:"
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(f"{prefix} expected ndim={self.ndim}, found ndim={rank}. Full shape received: {shape}")
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ValueError(
                f"{prefix} expected max_ndim={self.max_ndim}, found ndim={rank}. Full shape received: {shape}"
            )
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f"{prefix} expected min_ndim={self.min_ndim}, found ndim={rank}. Full shape received: {shape}"
            )
        for axis, size in self.axes.items():
            if not -rank <= axis < rank:  # only possible without a fixed rank: the axis does not exist
                raise ValueError(
                    f"{prefix} expected axis {axis} of input shape to have value {size}, but received input "
                    f"with shape {shape}, which has no axis {axis}"
                )
            if size is not None and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{prefix} expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {shape}"
                )
        if self.shape is not None:
            for expected, received in zip(self.shape, shape):
                if expected is not None and received is not None and expected != received:
                    raise ValueError(f"{prefix} expected shape={self.shape}, found shape={shape}")

    def get_config(self) -> dict:
        """The constructor arguments, under Keras's names."""
        return {
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": dict(self.axes),
        }

    @classmethod
    def from_config(cls, config: dict) -> InputSpec:
        """An `InputSpec` from `get_config()`'s output (a shape also gives the rank)."""
        config = dict(config)
        if config.get("shape") is not None:
            config.pop("ndim", None)
        return cls(**config)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, InputSpec) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((self.shape, self.ndim, self.max_ndim, self.min_ndim, tuple(sorted(self.axes.items()))))

    def __repr__(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("shape", self.shape),
                ("ndim", self.ndim),
                ("max_ndim", self.max_ndim),
                ("min_ndim", self.min_ndim),
                ("axes", self.axes),
            )
            if value
        ]
        return f"InputSpec({', '.join(parts)})"
