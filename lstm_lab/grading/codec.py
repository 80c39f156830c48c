"""Data between the judge and a worker: JSON for structure, ``.npz`` for arrays, never pickle.

Supported values: ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``-free containers
``list``, ``tuple``, ``dict`` with ``str`` keys, NumPy arrays of numeric or boolean dtype, and
NumPy scalars (decoded as Python numbers). Anything else raises ``TypeError`` when encoding;
a malformed message raises ``ValueError`` when decoding.

Decoding trusts nothing in a message: arrays are read by hand from an uncompressed archive (no
pickle, no zip bomb), each one's header must describe exactly the bytes that follow it, and only
numeric and boolean dtypes are accepted. So no message can make the reader run code or allocate
more than the message's own size.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile

import numpy as np

from . import settings

_MAGIC = b"LLC1"
_HEADER = struct.Struct("!4sII")  # magic, json length, npz length
_ARRAY_NAME = re.compile(r"a[0-9]{1,9}\.npy")


def max_message() -> int:
    """The largest message accepted, in bytes (the ``max_message_mb`` setting): it guards the
    judge against a worker flooding it."""
    return int(settings.current().max_message_mb * 2**20)


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
    if len(message) < _HEADER.size or len(message) > max_message():
        raise ValueError("message has an impossible size")
    magic, n_json, n_npz = _HEADER.unpack_from(message)
    if magic != _MAGIC or _HEADER.size + n_json + n_npz != len(message):
        raise ValueError("message header is not valid")
    body = message[_HEADER.size : _HEADER.size + n_json]
    arrays = _load_arrays(message[_HEADER.size + n_json :]) if n_npz else {}

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


def _load_arrays(blob: bytes) -> dict[str, np.ndarray]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"message arrays are not valid: {exc}") from None
    arrays, total = {}, 0
    for info in members:
        if not _ARRAY_NAME.fullmatch(info.filename):
            raise ValueError(f"message holds an unexpected member {info.filename!r}")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError("message arrays must not be compressed")
        total += info.file_size
        if info.file_size != info.compress_size or total > len(blob):
            raise ValueError("message arrays are larger than the message")
        try:
            data = archive.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise ValueError(f"message arrays are not valid: {exc}") from None
        arrays[info.filename[:-4]] = _parse_npy(data)
    return arrays


def _parse_npy(data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported array format {version}")
    except (ValueError, TypeError, SyntaxError, EOFError) as exc:
        raise ValueError(f"message array header is not valid: {exc}") from None
    if dtype.kind not in "biuf" or dtype.hasobject or dtype.fields is not None:
        raise ValueError(f"message array has a dtype that is not accepted: {dtype}")
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError("message array has an impossible shape")
    count = math.prod(shape)
    body = data[stream.tell() :]
    if len(body) != count * dtype.itemsize:
        raise ValueError("message array header does not match its data")
    array = np.frombuffer(bytearray(body), dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")
