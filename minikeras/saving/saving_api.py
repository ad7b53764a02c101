"""`save_model`, `load_model`, `save_weights`, `load_weights`: the only code that opens model files."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from minikeras.saving import checksum, keras_zip, legacy_h5, weights_h5
from minikeras.saving.atomic import atomic_write
from minikeras.saving.h5_reading import ModelFileError, get_member, open_h5

if TYPE_CHECKING:
    from minikeras.models import Sequential

_H5_SUFFIXES = (".h5", ".hdf5")


def _check_overwrite(filepath: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")


def save_model(
    model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True, include_optimizer: bool = True
) -> None:
    """Save the whole model (architecture, weights, compile settings, optimizer state).

    The file is written to a temporary file in the same directory and renamed
    into place, so a crash during saving leaves any previous file intact.

    Args:
        model: the model to save.
        filepath: path ending in `.keras` (Keras 3's zip format) or `.h5` (Keras's
            legacy HDF5 layout); Keras reads both.
        overwrite: replace an existing file (default True); False raises if it exists.
        include_optimizer: also save the compile settings and optimizer state.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith((".keras", *_H5_SUFFIXES)):
        raise ValueError(
            "Invalid filepath extension for saving: give a path ending in '.keras' (Keras 3's format) "
            f"or '.h5' (Keras's legacy HDF5 format). Received: filepath={filepath!r}"
        )
    _check_overwrite(filepath, overwrite)
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: give it an Input or call it on data before saving.")
    with atomic_write(filepath) as temporary:
        if filepath.endswith(".keras"):
            keras_zip.write_model(model, temporary)
        else:
            legacy_h5.write_model(model, temporary, include_optimizer)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Sequential:
    """Load a model saved by `model.save`, or by Keras 3, Keras 2 or tf.keras (`.keras` or `.h5`).

    Args:
        filepath: path to the file.
        custom_objects: `{name: class}` for custom layers, losses, metrics...
        compile: restore the compile settings and optimizer state (default True).
        safe_mode: accepted for Keras compatibility; minikeras always refuses
            code-carrying layers.

    Returns:
        A Sequential model, compiled when the file holds a training config.

    Raises:
        ModelFileError (a ValueError): for a damaged, hostile or non-model file, including one
            that links to data outside itself.
        ValueError: when the path does not end in `.keras`, `.h5` or `.hdf5`.
        FileNotFoundError: when there is no file.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith((".keras", *_H5_SUFFIXES)):
        raise ValueError(
            "File format not supported: load_model reads '.keras' files (Keras 3's format) and '.h5' or '.hdf5' "
            f"files (Keras's legacy HDF5 format). Received: filepath={filepath!r}"
        )
    if _is_zip(filepath):
        return _guarded(lambda: keras_zip.read_model(filepath, custom_objects, compile))
    with open_h5(filepath) as f:
        return _guarded(lambda: legacy_h5.read_model(f, custom_objects, compile))


def _is_zip(filepath: str) -> bool:
    if not os.path.isfile(filepath):
        return filepath.endswith(".keras")
    with open(filepath, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def save_weights(model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Save the weights and optimizer state to a `.weights.h5` file (Keras 3's layout), atomically."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath!r}")
    _check_overwrite(filepath, overwrite)
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: there are no weights to save.")
    import h5py

    with atomic_write(filepath) as temporary:
        with h5py.File(temporary, "w", userblock_size=checksum.USERBLOCK_SIZE) as f:
            weights_h5.write_weights(f, model)
        checksum.seal(temporary)


def load_weights(model: Sequential, filepath: str | os.PathLike[str], skip_mismatch: bool = False) -> None:
    """Load weights saved by `save_weights` (`.weights.h5`) or a whole-model `.h5` file into `model`.

    Layers are matched by order; a count or shape mismatch raises an error naming
    the layer and both shapes, and leaves the model unchanged. The optimizer's
    state is restored too when the file has it and the model is compiled.
    """
    filepath = os.fspath(filepath)
    if not model.built:
        raise ValueError(f"Model '{model.name}' must be built before loading weights into it.")
    if _is_zip(filepath):
        _guarded(lambda: keras_zip.read_weights_into(filepath, model, skip_mismatch))
        return
    with open_h5(filepath, "weights file") as f:
        if "layers" in f:
            _guarded(lambda: weights_h5.read_weights(f, model, skip_mismatch))
        elif "layer_names" in f.attrs or "model_weights" in f:
            group = get_member(f, "model_weights", "group") if "model_weights" in f else f
            _guarded(lambda: legacy_h5.read_model_weights(group, model))
        else:
            raise ModelFileError(f"{filepath!r} holds no weights in a layout minikeras or Keras writes.")


def _guarded(action):
    """Run a read; errors from h5py on a damaged file become ModelFileError with their message."""
    try:
        return action()
    except (ModelFileError, FileNotFoundError):
        raise
    except (KeyError, RuntimeError, OSError, TypeError, AttributeError, IndexError, UnicodeDecodeError) as error:
        raise ModelFileError(f"The file is damaged or not a model file: {type(error).__name__}: {error}") from None


def describe_file(filepath: str | os.PathLike[str]) -> dict:
    """Return what a model file is, without building the model: its format and the versions it records."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No model file at {filepath!r}.")
    if _is_zip(filepath):
        info = {"format": "Keras 3 archive (.keras)"}
        archive = keras_zip._Archive(filepath)
        try:
            if keras_zip.METADATA in archive.zip.namelist():
                metadata = archive.json(keras_zip.METADATA)
                if isinstance(metadata, dict):
                    info.update({k: str(metadata[k]) for k in ("keras_version", "minikeras_version") if k in metadata})
        finally:
            archive.close()
        return info
    with open_h5(filepath) as f:
        from minikeras.saving.h5_reading import read_text_attr

        layout = "HDF5, Keras's legacy layout" if "model_config" in f.attrs else "HDF5 weights (.weights.h5)"
        sealed = " with a minikeras SHA-256 seal" if checksum.verify(filepath) else ""
        info = {"format": layout + sealed}
        for key in ("keras_version", "minikeras_version", "backend"):
            value = _guarded(lambda key=key: read_text_attr(f, key))
            if value:
                info[key] = value
    return info
