"""Length-prefixed frames over pipe file descriptors, with deadlines on the judge's side.

A ``tick`` callable, when given, is called about every ``TICK`` seconds while waiting (the judge
polls a worker's memory with it); it may raise to stop the wait.
"""

from __future__ import annotations

import os
import select
import struct
import time

_LENGTH = struct.Struct("!Q")
#: Seconds between two calls of a waiting ``tick``.
TICK = 0.25


class WireClosed(EOFError):
    """The other end closed the pipe."""


class WireTimeout(TimeoutError):
    """The deadline passed before the frame was complete."""


def _wait(fd: int, deadline: float | None, write: bool, tick=None) -> None:
    if deadline is None and tick is None:
        return
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise WireTimeout()
        wait = remaining
        if tick is not None:
            wait = TICK if remaining is None else min(TICK, remaining)
        readable, writable, _ = select.select(
            [] if write else [fd], [fd] if write else [], [], wait
        )
        if readable or writable:
            return
        if tick is not None:
            tick()


def write_frame(fd: int, payload: bytes, deadline: float | None = None, tick=None) -> None:
    """Write one frame; ``WireTimeout`` if the reader does not take it before ``deadline``."""
    data = memoryview(_LENGTH.pack(len(payload)) + payload)
    while data:
        _wait(fd, deadline, True, tick)
        try:
            written = os.write(fd, data[: 1 << 16])
        except BrokenPipeError:
            raise WireClosed() from None
        data = data[written:]


def _read_exact(fd: int, size: int, deadline: float | None, tick=None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        _wait(fd, deadline, False, tick)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise WireClosed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(
    fd: int, deadline: float | None = None, max_size: int | None = None, tick=None
) -> bytes:
    """Read one frame; ``WireClosed`` at end of file, ``WireTimeout`` past ``deadline``."""
    (size,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline, tick))
    if max_size is not None and size > max_size:
        raise ValueError(f"frame of {size} bytes is larger than the {max_size} allowed")
    return _read_exact(fd, size, deadline, tick)
