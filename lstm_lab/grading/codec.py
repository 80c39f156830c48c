"""Data between the judge and a worker: JSON for structure, ``.npz`` for arrays, never pickle.

Supported values: ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``-free containers
``list``, ``tuple``, ``dict`` with ``str`` keys, NumPy arrays of numeric or boolean dtype, and
NumPy scalars (decoded as Python numbers). Anything else raises ``TypeError`` when encoding;
a malformed message raises ``ValueError`` when decoding. Decoding loads arrays with
``allow_pickle=False``, so no message can make the reader run code.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile

import numpy as np

_MAGIC = b"LLC1"
_HEADER = struct.Struct("!4sII")  # magic, json length, npz length
#: Largest message accepted, in bytes (guards the judge against a worker flooding it).
MAX_MESSAGE = 1 << 30


def _float(x: float):
    if math.isfinite(x):
        return x
    return {"__float__": repr(float(x))}  # nan, inf, -inf


def encode(obj) -> bytes:
    """Serialise ``obj`` into one message."""
    arrays: dict[str, np.ndarray] = {}

    def walk(x):
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, (int, np.integer)) and not isinstance(x, np.bool_):
            return int(x)
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, (float, np.floating)):
            return _float(float(x))
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "biuf":
                raise TypeError(f"cannot send an array of dtype {x.dtype}")
            key = f"a{len(arrays)}"
            arrays[key] = x
            return {"__array__": key}
        if isinstance(x, tuple):
            return {"__tuple__": [walk(v) for v in x]}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, dict):
            out = {}
            for k, v in x.items():
                if not isinstance(k, str) or k.startswith("__"):
                    raise TypeError(f"dict keys must be plain strings, got {k!r}")
                out[k] = walk(v)
            return out
        raise TypeError(f"cannot send a value of type {type(x).__name__}")

    body = json.dumps(walk(obj), allow_nan=False).encode()
    buffer = io.BytesIO()
    if arrays:
        np.savez(buffer, **arrays)
    npz = buffer.getvalue()
    return _HEADER.pack(_MAGIC, len(body), len(npz)) + body + npz


def decode(message: bytes):
    """The value ``encode`` serialised; ``ValueError`` for anything malformed."""
    if len(message) < _HEADER.size or len(message) > MAX_MESSAGE:
        raise ValueError("message has an impossible size")
    magic, n_json, n_npz = _HEADER.unpack_from(message)
    if magic != _MAGIC or _HEADER.size + n_json + n_npz != len(message):
        raise ValueError("message header is not valid")
    body = message[_HEADER.size : _HEADER.size + n_json]
    arrays = {}
    if n_npz:
        try:
            with np.load(io.BytesIO(message[_HEADER.size + n_json :]), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise ValueError(f"message arrays are not valid: {exc}") from None

    def walk(x):
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, dict):
            if set(x) == {"__array__"}:
                if x["__array__"] not in arrays:
                    raise ValueError("message refers to a missing array")
                return arrays[x["__array__"]]
            if set(x) == {"__tuple__"}:
                return tuple(walk(v) for v in x["__tuple__"])
            if set(x) == {"__float__"}:
                return float(x["__float__"])
            return {k: walk(v) for k, v in x.items()}
        return x

    try:
        return walk(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, TypeError) as exc:
        raise ValueError(f"message body is not valid: {exc}") from None
