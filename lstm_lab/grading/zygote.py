"""A process that imports TensorFlow once and forks workers from it.

Importing TensorFlow costs 3-5 s and about 280 MB of private memory per process. A judge needs
at least two workers (the target's and the solutions') and restarts one after every crash, so
the judge starts this *zygote* instead: it imports the heavy libraries (trusted code only — never
a target), then, for each worker the judge asks for, forks twice. The worker shares the zygote's
pages copy-on-write (about 90 MB of its own after training instead of 335 MB), starts in
milliseconds, and — the judge being a child subreaper — becomes the judge's child, so the judge
waits for it, kills it and reads its exit status as it would a ``subprocess.Popen``.

Started by ``proxy`` as ``python -m lstm_lab.grading.zygote SOCKET_FD``. Requests on the Unix
(``SOCK_SEQPACKET``) socket are one JSON message each, with three file descriptors attached (the
worker's request pipe, answer pipe and stderr file)::

    {"target": path, "env": {...}, "cwd": dir, "uid": int|null, "gid": int|null,
     "limits": {...}}      (a worker spec: ``spawn.worker_spec``, the same a fresh worker gets)

and the answer is ``{"pid": worker_pid}`` or ``{"error": message}``. The zygote holds no secret:
it never imports a target, and a worker drops privileges before it reads its first request.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import socket
import sys

#: What the zygote imports before forking (the ``preload`` setting overrides, comma-separated).
PRELOAD = (
    "numpy",
    "pandas",
    "sklearn.model_selection",
    "keras",
    "lstm_lab.models",
    "lstm_lab.oracle",
    "lstm_lab.data",
    "lstm_lab.grading.scenarios",
)
#: The fds a worker gets: request pipe, answer pipe (stderr goes to 1 and 2).
_IN_FD, _OUT_FD = 3, 4


def preload() -> list[str]:
    from . import settings

    names = settings.current().preload
    names = PRELOAD if names is None else tuple(n for n in names.split(",") if n)
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional library only costs speed
            failed.append(name)
    from . import worker  # noqa: F401 - the worker's code, ready in every child

    gc.collect()
    gc.freeze()  # keep the collector from touching (and so copying) the preloaded objects
    return failed


def _child(request: dict, fds: list[int], sock: socket.socket) -> None:
    """In the forked worker: become the worker described by ``request``; never returns."""
    try:
        sock.close()
        in_fd, out_fd, err_fd = fds
        os.dup2(err_fd, 1)
        os.dup2(err_fd, 2)
        os.dup2(in_fd, _IN_FD)
        os.dup2(out_fd, _OUT_FD)
        os.closerange(_OUT_FD + 1, 1 << 16)
        os.setsid()
        sys.argv = ["lstm_lab.grading.worker", request["target"], str(_IN_FD), str(_OUT_FD)]
        from . import worker

        worker.become(request)
        worker.run(request, _IN_FD, _OUT_FD)
    except BaseException as exc:  # noqa: BLE001 - report and leave, whatever happened
        try:
            os.write(2, f"worker start failed: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
        os._exit(70)
    os._exit(0)


def spawn(request: dict, fds: list[int], sock: socket.socket) -> int:
    """Fork the worker (twice, so that it is reparented to the judge); return its pid."""
    r, w = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(r)
        try:
            pid = os.fork()
        except OSError:
            os._exit(71)
        if pid == 0:
            os.close(w)
            _child(request, fds, sock)
        os.write(w, str(pid).encode())
        os._exit(0)
    os.close(w)
    try:
        data = b""
        while chunk := os.read(r, 64):
            data += chunk
    finally:
        os.close(r)
        os.waitpid(middle, 0)
    if not data:
        raise OSError("the worker could not be forked")
    return int(data)


def serve(sock: socket.socket) -> None:
    """Answer fork requests until the judge closes the socket (a ``SOCK_SEQPACKET`` pair)."""
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 3)
        except OSError:
            return
        if not message:
            return
        try:
            request = json.loads(message)
            if len(fds) != 3:
                raise ValueError(f"expected 3 file descriptors, got {len(fds)}")
            answer = {"pid": spawn(request, fds, sock)}
        except Exception as exc:  # noqa: BLE001 - tell the judge, keep serving
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        sock.send(json.dumps(answer).encode())


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[0]))
    failed = preload()
    sock.send(json.dumps({"ready": True, "failed": failed}).encode())
    serve(sock)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
