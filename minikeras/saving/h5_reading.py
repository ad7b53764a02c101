"""Reading HDF5 files defensively: every shape, type and link is checked before data is read.

A model file may come from a stranger. Nothing here follows external or soft
links, reads a virtual or externally stored dataset, or reads an array before
its declared shape has been compared with the weight that will hold it, so a
file that claims a gigantic array costs nothing.
"""

from __future__ import annotations

import json
import os

import numpy as np

# Attributes minikeras reads are JSON configs and name lists; anything larger is not a model file.
MAX_ATTRIBUTE_BYTES = 16 * 1024 * 1024


class ModelFileError(ValueError):
    """A model or weights file is damaged, hand-edited or not a model file at all."""


def open_h5(filepath: str, what: str = "model file"):
    """Open `filepath` read-only with h5py, turning failures into a clear error."""
    import h5py

    from minikeras.saving import checksum

    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No {what} at {filepath!r}.")
    checksum.verify(filepath)
    try:
        f = h5py.File(filepath, "r")
    except OSError as error:
        raise ModelFileError(f"{filepath!r} is not a readable HDF5 {what}: {error}") from None
    return _self_contained(f, what)


def open_h5_bytes(data: bytes, what: str = "weights file"):
    """Open an HDF5 file held in memory (the weights inside a `.keras` archive) read-only."""
    import io

    import h5py

    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError as error:
        raise ModelFileError(f"The {what} is not readable HDF5: {error}") from None
    return _self_contained(f, what)


def _self_contained(f, what: str):
    """Return the open file `f` after `check_self_contained`; close it and raise if the check fails."""
    try:
        check_self_contained(f, what)
    except BaseException:
        f.close()
        raise
    return f


def check_self_contained(f, what: str = "model file") -> None:
    """Refuse a file that refers to data outside itself, before anything is read from it.

    Every link in the file is listed with HDF5's link iteration, which descends
    only through hard links and so never opens another file or follows a soft
    link. Any soft, external or user-defined link is refused, and so is any
    dataset whose values live elsewhere: external raw storage or a virtual
    dataset assembled from other datasets (possibly in other files). Every
    function that opens an HDF5 file for minikeras calls this first.

    Args:
        f: an open, read-only h5py File.
        what: what the file is, for the error message ("model file", "weights file").

    Raises:
        ModelFileError: naming the offending path in the file and the kind of link or storage.
    """
    found: list[str] = []
    failures: list[BaseException] = []

    def visit(name: bytes, info) -> bool | None:
        # An exception must not escape into HDF5's iteration (h5py turns it into a SystemError): keep it for later.
        try:
            problem = _outside_reference(f, name, info.type)
        except Exception as error:  # a damaged header can make h5py raise almost anything
            failures.append(error)
            return True
        if problem is not None:
            found.append(problem)
            return True  # stops the iteration at the first problem
        return None

    try:
        f.id.links.visit(visit, info=True)
    except (KeyError, RuntimeError, OSError, ValueError) as error:
        failures.append(error)
    if found:
        raise ModelFileError(
            f"The {what} refers to data outside itself: {found[0]}. Refused: minikeras reads only data stored in "
            "the file itself and never follows links."
        )
    if failures:
        error = failures[0]
        raise ModelFileError(f"The {what} is damaged or not a model file: {type(error).__name__}: {error}")


def _outside_reference(f, name: bytes, link_type: int) -> str | None:
    """Describe how the link `name` (relative to the root) reaches outside the file, or return None.

    Only the link itself is read for a soft or external link; a hard link's
    object is opened (all of its path is hard links) to read a dataset's storage layout.
    """
    import h5py

    path = "/" + name.decode("utf-8", "replace")
    if link_type == h5py.h5l.TYPE_EXTERNAL:
        link = f.get(name, getlink=True)
        return f"'{path}' is an external link to '{link.path}' in file {link.filename!r}"
    if link_type == h5py.h5l.TYPE_SOFT:
        return f"'{path}' is a soft link to '{f.get(name, getlink=True).path}'"
    if link_type != h5py.h5l.TYPE_HARD:
        return f"'{path}' is a user-defined link (type {link_type})"
    member = f[name]
    if isinstance(member, h5py.Dataset):
        if member.is_virtual:
            return f"'{path}' is a virtual dataset, whose values are assembled from other datasets"
        if member.external:
            files = ", ".join(repr(entry[0]) for entry in member.external)
            return f"dataset '{path}' keeps its values in external raw storage ({files})"
    return None


def read_text_attr(obj, name: str) -> str | None:
    """Return a string attribute (stored as str or bytes), or None when absent."""
    if name not in obj.attrs:
        return None
    attr_id = obj.attrs.get_id(name)
    if attr_id.get_storage_size() > MAX_ATTRIBUTE_BYTES:
        raise ModelFileError(
            f"Attribute '{name}' claims {attr_id.get_storage_size()} bytes, too large for a model file."
        )
    value = obj.attrs[name]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        if len(value) > MAX_ATTRIBUTE_BYTES:
            raise ModelFileError(f"Attribute '{name}' is {len(value)} bytes, too large for a model file.")
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"Attribute '{name}' is not valid UTF-8 text.") from None
    if not isinstance(value, str):
        raise ModelFileError(f"Attribute '{name}' should be text, but holds {type(value).__name__}.")
    return value


def read_json_attr(obj, name: str):
    """Parse a JSON attribute; None when absent."""
    text = read_text_attr(obj, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"Attribute '{name}' is not valid JSON: {error}") from None


def read_names_attr(obj, name: str) -> list[str]:
    """Read a list of names, also when Keras split it into `name0`, `name1`, ... chunks."""
    if name in obj.attrs:
        chunks = [obj.attrs[name]]
    else:
        chunks = []
        while f"{name}{len(chunks)}" in obj.attrs:
            chunks.append(obj.attrs[f"{name}{len(chunks)}"])
    names = []
    for chunk in chunks:
        values = np.asarray(chunk)
        if values.dtype.kind not in "SUO" and values.size:
            raise ModelFileError(f"Attribute '{name}' should list names, but holds {values.dtype} values.")
        for value in values.reshape(-1).tolist():
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise ModelFileError(f"A name in attribute '{name}' is not valid UTF-8.") from None
            if not isinstance(value, str):
                raise ModelFileError(f"Attribute '{name}' holds a non-text entry {value!r}.")
            names.append(value)
    return names


def get_member(group, name: str, kind: str):
    """Return `group[name]` if it is a hard-linked group or dataset (`kind`), else raise."""
    import h5py

    if not name or name.startswith("/") or ".." in name.split("/"):
        raise ModelFileError(f"Invalid member name {name!r} in {group.name!r}.")
    try:
        link = group.get(name, getlink=True)
    except (KeyError, ValueError, RuntimeError, OSError) as error:
        raise ModelFileError(f"Cannot read {name!r} in {group.name!r}: {error}") from None
    if link is None:
        raise ModelFileError(f"The file has no {kind} {name!r} in {group.name!r}.")
    if not isinstance(link, h5py.HardLink):
        raise ModelFileError(f"{name!r} in {group.name!r} is a {type(link).__name__}; only plain members are read.")
    member = group[name]
    expected = h5py.Group if kind == "group" else h5py.Dataset
    if not isinstance(member, expected):
        raise ModelFileError(f"{member.name!r} should be a {kind}.")
    return member


def declared_size(dataset) -> int:
    """Number of values a dataset claims to hold (read from its header only)."""
    return int(np.prod(dataset.shape, dtype=np.float64)) if dataset.shape is not None else 0


def read_array(dataset, expected_shape: tuple, what: str, kinds: str = "fiu") -> np.ndarray:
    """Read a dataset after checking its shape and element type against `expected_shape`.

    Args:
        dataset: an h5py Dataset.
        expected_shape: the shape of the array that will receive the values.
        what: a description for error messages ("weight 'kernel' of layer 'dense'").
        kinds: accepted numpy dtype kinds (float, int, unsigned by default).
    """
    try:
        dtype = dataset.dtype
    except (ValueError, TypeError) as error:  # h5py cannot map the stored type to numpy
        raise ModelFileError(f"{what} has an unreadable element type: {error}") from None
    if dataset.shape != tuple(expected_shape):
        raise ModelFileError(f"{what} has shape {tuple(expected_shape)} in the model, but {dataset.shape} in the file.")
    if dtype.kind not in kinds or dtype.fields is not None:
        raise ModelFileError(f"{what} is stored as {dtype}, which is not a numeric type.")
    if dataset.is_virtual or dataset.external:
        raise ModelFileError(f"{what} is stored outside the file; only data inside the file is read.")
    try:
        return np.asarray(dataset[()])
    except (OSError, RuntimeError, ValueError) as error:
        raise ModelFileError(f"{what} cannot be read: {error}") from None
