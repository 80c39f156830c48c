"""Variant: ``build_regressor`` with the functional API (its ``InputLayer`` is in ``layers``)."""

import keras

MODULE = "ex01_lifecycle"
KIND = "variant"
CATCHES = []
SLOW = False


def build_regressor(timesteps, units=10, features=1):
    if min(timesteps, units, features) < 1:
        raise ValueError("timesteps, units and features must be at least 1")
    inputs = keras.Input(shape=(timesteps, features), name="series")
    hidden = keras.layers.LSTM(units, name="memory")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="next_value")(hidden))
