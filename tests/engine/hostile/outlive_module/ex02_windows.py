"""HOSTILE SUBMISSION (outlive_module): at import, leaves behind everything that could outlive
its module in a shared interpreter: a profile hook and a trace hook that kill the process as soon
as code of ex03_labels runs, a thread that waits for ex03_labels to be imported and then exits the
process, signal handlers that ignore SIGTERM and exit on SIGALRM, an alarm, an atexit handler,
and a patched numpy.repeat that returns zeros. Its own functions stay the reference's (an honest
ex02): only another module's tests, run in the same process, would suffer."""

# (appended to the reference module)

import atexit as _atexit
import os as _os
import signal as _signal
import sys as _sys
import threading as _threading

import numpy as _np


def _kill_in_ex03(frame, event, arg):
    if "ex03_labels" in frame.f_code.co_filename:
        _os._exit(0)
    return _kill_in_ex03 if event == "call" else None


def _watch():
    import time

    while True:
        if "ex03_labels" in _sys.modules or any("ex03" in m for m in _sys.modules):
            _os._exit(0)
        time.sleep(0.01)


_sys.setprofile(_kill_in_ex03)
_sys.settrace(_kill_in_ex03)
_threading.setprofile(_kill_in_ex03)
_threading.Thread(target=_watch, daemon=True).start()
_signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
_signal.signal(_signal.SIGALRM, lambda *a: _os._exit(0))
_signal.alarm(30)
_atexit.register(lambda: _os._exit(0))
_np.repeat = lambda a, *args, **kwargs: _np.zeros(1)
