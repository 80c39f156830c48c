"""The worker's end of its pipes to the judge: answers, notes, and questions in the middle.

A worker serves requests on two pipes (``worker.serve``). While it works on one it may send
``{"note": ...}`` (the judge times imports apart) and ``{"callback": question}``, a question the
judge answers with ``{"reply": answer}`` (``ask_judge``): that is how ex05 runs on the
reference's pieces (``relay``). Only the worker's own code writes here; the descriptors are set
once, by ``serving``.
"""

from __future__ import annotations

import builtins
import os

from . import codec, wire

#: The lowest descriptor the channel moves to (below the usual soft limit of 1024).
HIGH_FD = 900

#: The pipes of this worker, once it serves: (request fd, answer fd).
_channel: tuple[int, int] | None = None


def serving(in_fd: int, out_fd: int) -> None:
    """This process now serves a judge on these pipes, moved to high descriptors first: target
    code that writes to the descriptors it was not given (0-63, say) misses the channel, and a
    program it starts does not inherit it (close-on-exec)."""
    global _channel
    _channel = (_out_of_reach(in_fd), _out_of_reach(out_fd))


def _out_of_reach(fd: int) -> int:
    import fcntl
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    floor = HIGH_FD if soft == resource.RLIM_INFINITY or soft > HIGH_FD + 64 else None
    if floor is None:
        return fd
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)
    os.close(fd)
    return moved


def write(message: bytes) -> None:
    """Send one encoded answer to the judge."""
    wire.write_frame(_channel[1], message)


def receive():
    """The next request from the judge (``wire.WireClosed`` when it closed the pipe)."""
    return codec.decode(wire.read_frame(_channel[0]))


def send(message: dict) -> None:
    if _channel is None:
        raise RuntimeError("this process is not serving a judge")
    write(codec.encode(message))


def note(note: dict) -> None:
    if _channel is not None:
        send({"note": note})


class JudgeError(RuntimeError):
    """The judge could not answer a question (nothing allowed it, or the reference failed)."""


def ask_judge(request: dict):
    """Ask the judge a question in the middle of a request; return its answer (data).

    The judge answers with its ``callbacks`` handler (``relay.Relay`` to ask the solutions). A
    reference that raised a built-in exception (a ``ValueError`` for bad input) raises the same
    type here; anything else raises ``JudgeError``.
    """
    send({"callback": request})
    reply = receive()
    if not isinstance(reply, dict) or "reply" not in reply:
        raise JudgeError("the judge sent something that is not a reply")
    answer = reply["reply"]
    if isinstance(answer, dict) and "ok" in answer:
        return answer["ok"]
    error = answer.get("error", {}) if isinstance(answer, dict) else {}
    kind = getattr(builtins, str(error.get("type", "")), None)
    message = str(error.get("message", "the judge could not answer"))
    if isinstance(kind, type) and issubclass(kind, Exception) and kind.__module__ == "builtins":
        raise kind(message)
    raise JudgeError(message)
