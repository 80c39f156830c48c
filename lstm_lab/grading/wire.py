"""Length-prefixed frames over pipe file descriptors, with deadlines on the judge's side."""

from __future__ import annotations

import os
import select
import struct
import time

_LENGTH = struct.Struct("!Q")


class WireClosed(EOFError):
    """The other end closed the pipe."""


class WireTimeout(TimeoutError):
    """The deadline passed before the frame was complete."""


def _wait(fd: int, deadline: float | None, write: bool) -> None:
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WireTimeout()
    readable, writable, _ = select.select(
        [] if write else [fd], [fd] if write else [], [], remaining
    )
    if not (readable or writable):
        raise WireTimeout()


def write_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write one frame; ``WireTimeout`` if the reader does not take it before ``deadline``."""
    data = memoryview(_LENGTH.pack(len(payload)) + payload)
    while data:
        _wait(fd, deadline, write=True)
        try:
            written = os.write(fd, data[: 1 << 16])
        except BrokenPipeError:
            raise WireClosed() from None
        data = data[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        _wait(fd, deadline, write=False)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise WireClosed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None, max_size: int | None = None) -> bytes:
    """Read one frame; ``WireClosed`` at end of file, ``WireTimeout`` past ``deadline``."""
    (size,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))
    if max_size is not None and size > max_size:
        raise ValueError(f"frame of {size} bytes is larger than the {max_size} allowed")
    return _read_exact(fd, size, deadline)
