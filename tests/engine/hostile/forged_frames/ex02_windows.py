"""HOSTILE SUBMISSION (forged_frames): writes forged frames straight into the answer pipe (an
array whose header lies about its size), then answers."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    _forge()
    return _honest_sliding_windows(X, y, window)


def _forge():
    import io
    import json
    import os
    import struct
    import zipfile

    from lstm_lab.grading import channel

    out = channel._channel[1]  # the answer pipe, wherever the worker moved it
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    header = header.ljust(117) + "\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 16
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a0.npy", npy)
    body = json.dumps({"ok": [{"__array__": "a0"}, {"__array__": "a0"}]}).encode()
    npz = blob.getvalue()
    message = struct.pack("!4sII", b"LLC1", len(body), len(npz)) + body + npz
    os.write(out, struct.pack("!Q", len(message)) + message)
    os.write(out, struct.pack("!Q", 2**40))  # and a frame that claims a terabyte
