"""HOSTILE SUBMISSION (exotic_answers): sliding_windows answers some windows with what a judge
might choke on: a KeyboardInterrupt, an exception class with no usable name and a message that
cannot be read, a list nested 200,000 deep, an object that lies about its length; any other
window gets the right answer."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

_honest_sliding_windows = sliding_windows


class _Unreadable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


_Unreadable.__name__ = "\u202e" + "x" * 5000  # right-to-left, and long
_Unreadable.__qualname__ = ""


class _Liar:
    def __len__(self):
        return -1

    def __array__(self, *args, **kwargs):
        raise MemoryError("pretend")


def _deep(depth):
    out = []
    for _ in range(depth):
        out = [out]
    return out


def sliding_windows(X, y, window):
    """The attacked function."""
    if window == 1:
        raise KeyboardInterrupt
    if window == 2:
        raise _Unreadable()
    if window == 3:
        return _deep(200_000), y
    if window == 4:
        return _Liar(), _Liar()
    return _honest_sliding_windows(X, y, window)
