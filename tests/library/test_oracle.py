"""The NumPy LSTM (lstm_lab.oracle) equals Keras's LSTM: outputs and final states, to 1e-5.

The oracle is the judge's reference for every model check, so it is checked against Keras on
random weights, shapes and initial states, and on a hand-worked toy cell.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_lab import oracle

ORACLE_ATOL = oracle.ATOL

keras = pytest.importorskip("keras")


@st.composite
def lstm_cases(draw):
    n, length = draw(st.integers(1, 4)), draw(st.integers(1, 7))
    features, units = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    with_state = draw(st.booleans())
    return n, length, features, units, seed, with_state


@settings(max_examples=20, deadline=None)
@given(case=lstm_cases())
def test_oracle_matches_keras_lstm(case):
    n, length, features, units, seed, with_state = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, length, features)).astype("float32")
    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    layer.build((n, length, features))
    layer.set_weights(
        [rng.normal(scale=0.7, size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    state = (
        [rng.normal(size=(n, units)).astype("float32") for _ in range(2)] if with_state else None
    )
    outputs, h, c = (keras.ops.convert_to_numpy(v) for v in layer(x, initial_state=state))
    got = oracle.lstm_forward(x, layer.get_weights(), initial_state=state, return_sequences=True)
    np.testing.assert_allclose(got.outputs, outputs, atol=ORACLE_ATOL)
    np.testing.assert_allclose(got.h, h, atol=ORACLE_ATOL)
    np.testing.assert_allclose(got.c, c, atol=ORACLE_ATOL)


def test_oracle_toy_cell_by_hand():
    # One unit, one feature, all weights 1, bias 0, input 1 from a zero state:
    # z = 1 for every gate, so i = f = o = sigmoid(1), g = tanh(1), c = i * g, h = o * tanh(c).
    weights = [np.ones((1, 4)), np.ones((1, 4)), np.zeros(4)]
    out = oracle.lstm_forward(np.ones((1, 1, 1)), weights)
    s, g = 1 / (1 + np.exp(-1)), np.tanh(1)
    assert out.c[0, 0] == pytest.approx(s * g)
    assert out.h[0, 0] == pytest.approx(s * np.tanh(s * g))


def test_oracle_rejects_weights_of_the_wrong_shape():
    with pytest.raises(ValueError, match="recurrent_kernel"):
        oracle.lstm_forward(np.ones((1, 2, 1)), [np.ones((1, 12)), np.ones((3, 8)), np.zeros(12)])
    with pytest.raises(ValueError, match="initial_state"):
        oracle.lstm_forward(
            np.ones((2, 2, 1)),
            [np.ones((1, 8)), np.ones((2, 8)), np.zeros(8)],
            initial_state=(np.zeros((1, 2)), np.zeros((1, 2))),
        )


def test_binary_crossentropy_and_accuracy_match_keras():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50).astype("float32")
    p = rng.random(50).astype("float32")
    bce = float(
        np.mean(
            keras.ops.convert_to_numpy(
                keras.losses.binary_crossentropy(y.reshape(-1, 1), p.reshape(-1, 1))
            )
        )
    )
    assert oracle.binary_crossentropy(y, p) == pytest.approx(bce, rel=1e-5)
    metric = keras.metrics.BinaryAccuracy()
    metric.update_state(y.reshape(-1, 1), p.reshape(-1, 1))
    assert oracle.accuracy(y, p) == pytest.approx(float(metric.result()))
