"""A SHA-256 seal in the HDF5 user block of every file minikeras writes.

HDF5 lets a file start with a "user block" that the library skips; h5py,
Keras and every HDF5 tool read such files as usual. minikeras writes its seal
there: a line `minikeras-sha256 <hex digest of everything after the block>`.
Before h5py is given a sealed file, the digest is checked, so a damaged or
altered file is refused up front: HDF5's own parser never sees corrupted
bytes (on some corruptions it would hang or read garbage weights).

Files without a seal (written by Keras or other tools) start directly with
the HDF5 signature and are read with the checks of `h5_reading`.
"""

from __future__ import annotations

import hashlib

from minikeras.saving.h5_reading import ModelFileError

USERBLOCK_SIZE = 512
_MAGIC = b"minikeras-sha256 "
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _digest(handle) -> str:
    handle.seek(USERBLOCK_SIZE)
    sha = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        sha.update(chunk)
    return sha.hexdigest()


def seal(filepath: str) -> None:
    """Write the seal into the user block of an HDF5 file created with `userblock_size=USERBLOCK_SIZE`."""
    with open(filepath, "r+b") as handle:
        header = _MAGIC + _digest(handle).encode("ascii") + b"\n"
        handle.seek(0)
        handle.write(header.ljust(USERBLOCK_SIZE, b"\0"))


def verify(filepath: str) -> bool:
    """Check the seal of `filepath`.

    Returns:
        True for a sealed file whose digest matches, False for an unsealed
        file that starts with the HDF5 signature (one Keras wrote).

    Raises:
        ModelFileError: for a sealed file whose content changed, or a file that
            is neither sealed nor HDF5.
    """
    with open(filepath, "rb") as handle:
        head = handle.read(USERBLOCK_SIZE)
        if head.startswith(_HDF5_SIGNATURE):
            return False
        if not head.startswith(_MAGIC):
            raise ModelFileError(f"{filepath!r} is not an HDF5 file (no HDF5 signature and no minikeras seal).")
        stored = head[len(_MAGIC) : len(_MAGIC) + 64]
        if len(head) < USERBLOCK_SIZE or stored != _digest(handle).encode("ascii"):
            raise ModelFileError(
                f"{filepath!r} is damaged or was changed after minikeras saved it: its SHA-256 seal does not match."
            )
    return True
