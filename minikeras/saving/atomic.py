"""Writing a file so that a crash never leaves a half-written file at its path."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


@contextlib.contextmanager
def atomic_write(filepath: str):
    """Yield a temporary path next to `filepath`; when the block succeeds, move it into place.

    The temporary file lives in the same directory (so the final rename never
    crosses file systems), is flushed to disk before the rename, and is removed
    if the block fails. Until the rename, the previous file at `filepath`, if
    any, is untouched: a process killed while saving leaves it loadable.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        mode = stat.S_IMODE(os.stat(filepath).st_mode) if os.path.exists(filepath) else 0o644
        os.chmod(temporary, mode)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(temporary, filepath)
        _fsync_directory(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
