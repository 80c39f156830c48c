"""The library's own promises: data, argument checks, the wire codec, stubs in step with the
solutions. Not part of the rubric (no exercise marker)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lstm_lab import checks, data
from lstm_lab.grading import codec
from lstm_lab.stubs import stub_source
from lstm_lab.target import MODULES

ROOT = Path(__file__).resolve().parents[2]


@given(n=st.integers(1, 60), length=st.integers(1, 25), seed=st.integers(0, 10**6))
def test_echo_sequences_label_is_the_first_bit_and_balanced(n, length, seed):
    X, y = data.echo_sequences(n, length, seed=seed)
    assert X.shape == (n, length, 1) and X.dtype == np.float32
    assert np.array_equal(X[:, 0, 0], y)
    assert set(np.unique(X)) <= {0.0, 1.0}
    if n % 2 == 0:
        assert y.sum() == n // 2


def test_echo_sequences_is_seeded():
    a, b = data.echo_sequences(seed=3), data.echo_sequences(seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], data.echo_sequences(seed=4)[0])


def test_echo_split_is_90_10_and_stratified():
    X_train, X_val, y_train, y_val = data.echo_split(0)
    assert X_train.shape == (90, 20, 1) and X_val.shape == (10, 20, 1)
    assert y_val.sum() == 5 and y_train.sum() == 45


def test_ramp():
    assert np.allclose(data.ramp(), [i / 10 for i in range(10)])


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3", None])
def test_positive_int_names_the_argument(value):
    with pytest.raises(ValueError, match="window"):
        checks.positive_int(value, "window")


def test_sequences_copies_and_shapes():
    X = np.arange(6.0).reshape(2, 3)
    out = checks.sequences(X)
    assert out.shape == (2, 3, 1) and out.dtype == np.float32
    out[0, 0, 0] = 99
    assert X[0, 0] == 0
    with pytest.raises(ValueError, match="NaN"):
        checks.sequences(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="2-D"):
        checks.sequences(np.ones(3))


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats()
    | st.text(max_size=5)
    | hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.text(max_size=4).filter(lambda k: not k.startswith("__")), inner, max_size=3
        )
    ),
    max_leaves=10,
)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=True)
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


@given(value=values)
def test_codec_round_trips_data(value):
    assert _same(codec.decode(codec.encode(value)), value)


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, b"bytes"])
def test_codec_refuses_what_is_not_data(value):
    with pytest.raises(TypeError):
        codec.encode(value)


@given(junk=st.binary(max_size=200))
def test_codec_rejects_junk_without_running_it(junk):
    try:
        codec.decode(junk)
    except ValueError:
        pass


def test_codec_never_unpickles():
    import io
    import pickle

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    body = b'{"__array__": "a0"}'
    npz = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(npz, "w") as z:
        z.writestr("a0.npy", buffer.getvalue())
    message = (
        codec._HEADER.pack(codec._MAGIC, len(body), len(npz.getvalue())) + body + npz.getvalue()
    )
    with pytest.raises(ValueError):
        codec.decode(message)
    assert pickle  # the point: object arrays need pickle, and decode refuses them


@pytest.mark.parametrize("module", MODULES)
def test_exercises_are_the_solutions_stubbed(module):
    # exercises/ is generated from solutions/: regenerate with `lstm-lab stubs`.
    solution = (ROOT / "solutions" / f"{module}.py").read_text()
    stub = (ROOT / "exercises" / f"{module}.py").read_text()
    assert stub == stub_source(solution, module), "run `lstm-lab stubs` to regenerate exercises/"


@pytest.mark.parametrize("module", MODULES)
def test_every_stub_raises_not_implemented(module):
    tree = ast.parse((ROOT / "exercises" / f"{module}.py").read_text())
    public = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        or isinstance(node, ast.FunctionDef)
        and node.name == "__init__"
    ]
    assert public
    for node in public:
        last = node.body[-1]
        assert isinstance(last, ast.Raise) and "NotImplementedError" in ast.unparse(last), node.name
