"""`.keras` files: Keras 3's zip archive of `config.json`, `metadata.json` and `model.weights.h5`.

Entries are read by name into memory and never extracted; an archive holding
an entry whose name climbs out of it (`..`) or is absolute is refused as a
whole. The weights inside use the `.weights.h5` layout (`weights_h5`).
"""

from __future__ import annotations

import datetime
import io
import json
import posixpath
import zipfile

from minikeras.saving import serialization, weights_h5
from minikeras.saving.h5_reading import ModelFileError, open_h5_bytes
from minikeras.saving.legacy_h5 import KERAS_LAYOUT_VERSION, _json_default

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_WEIGHTS_BYTES = 32 * 1024**3


def write_model(model, filepath: str | io.BytesIO) -> None:
    """Write `model` as a `.keras` archive at `filepath` (a new file)."""
    import h5py

    import minikeras

    config = {
        "module": "keras",
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "registered_name": None,
    }
    if model.input_shape is not None:  # an unbuilt model has no build config, as in Keras
        config["build_config"] = {"input_shape": list(model.input_shape)}
    compile_config = serialization.compile_config(model)
    if compile_config is not None:
        config["compile_config"] = compile_config
    metadata = {
        "keras_version": KERAS_LAYOUT_VERSION,
        "minikeras_version": minikeras.__version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        weights_h5.write_weights(f, model)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA, json.dumps(metadata))
        archive.writestr(CONFIG, json.dumps(config, default=_json_default))
        archive.writestr(WEIGHTS, weights.getvalue())


def model_to_bytes(model) -> bytes:
    """The bytes of `model` as a `.keras` archive (what pickling a model stores, as in Keras)."""
    buffer = io.BytesIO()
    write_model(model, buffer)
    return buffer.getvalue()


def model_from_bytes(data: bytes, custom_objects=None, compile: bool = True):
    """Rebuild a model from the bytes of a `.keras` archive (`model_to_bytes`); used by `pickle`."""
    return read_model(io.BytesIO(data), custom_objects=custom_objects, compile=compile)


class _Archive:
    """An open `.keras` archive whose entry names have been checked."""

    def __init__(self, filepath: str | io.BytesIO):
        try:
            self.zip = zipfile.ZipFile(filepath)
        except (zipfile.BadZipFile, OSError) as error:
            raise ModelFileError(f"{filepath!r} is not a readable .keras archive: {error}") from None
        for info in self.zip.infolist():
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if (
                name.startswith(("/", "\\"))
                or posixpath.isabs(name)
                or ".." in parts
                or (len(name) > 1 and name[1] == ":")
            ):
                self.zip.close()
                raise ModelFileError(
                    f"{filepath!r} holds an entry named {name!r} that points outside the archive; refused."
                )

    def read(self, name: str, limit: int) -> bytes:
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise ModelFileError(f"The archive has no {name!r} entry; is it a .keras model file?") from None
        if info.file_size > limit:
            raise ModelFileError(f"Entry {name!r} declares {info.file_size} bytes, more than the {limit} allowed.")
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as error:  # CRC or length mismatch
            raise ModelFileError(f"Entry {name!r} of the archive is damaged: {error}") from None

    def json(self, name: str):
        try:
            return json.loads(self.read(name, MAX_JSON_BYTES))
        except (ValueError, RecursionError) as error:
            raise ModelFileError(f"Entry {name!r} is not valid JSON: {error}") from None

    def close(self):
        self.zip.close()


def read_model(filepath: str | io.BytesIO, custom_objects=None, compile: bool = True):
    """Rebuild a model from a `.keras` archive (written by minikeras or Keras 3)."""
    from minikeras.layers.base import weight_allocation_limit

    archive = _Archive(filepath)
    try:
        if METADATA in archive.zip.namelist():
            archive.json(METADATA)  # read only to check it: a damaged entry fails its CRC here
        config = archive.json(CONFIG)
        weights = archive.read(WEIGHTS, MAX_WEIGHTS_BYTES) if WEIGHTS in archive.zip.namelist() else None
    finally:
        archive.close()
    if not isinstance(config, dict):
        raise ModelFileError("config.json must hold a JSON object.")
    weights_file = open_h5_bytes(weights, "weights file of the archive") if weights is not None else None
    try:
        budget = weights_h5.declared_weight_values(weights_file) if weights_file is not None else 0
        with weight_allocation_limit(budget):
            model = serialization.model_from_config(config, custom_objects)
        # An uncompiled Keras model writes `"compile_config": {}`: nothing to compile then.
        if compile and isinstance(config.get("compile_config"), dict) and config["compile_config"]:
            serialization.compile_from_config(model, config["compile_config"], custom_objects)
        if weights_file is not None:
            weights_h5.read_weights(weights_file, model)
    finally:
        if weights_file is not None:
            weights_file.close()
    return model


def read_weights_into(filepath: str, model, skip_mismatch: bool = False) -> None:
    """Load the weights (and optimizer state) of a `.keras` archive into `model`."""
    archive = _Archive(filepath)
    try:
        weights = archive.read(WEIGHTS, MAX_WEIGHTS_BYTES)
    finally:
        archive.close()
    with open_h5_bytes(weights, "weights file of the archive") as f:
        weights_h5.read_weights(f, model, skip_mismatch)
