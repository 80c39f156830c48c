"""Variant: the compile settings as objects made from their configs: the optimizer from
``keras.optimizers.get`` with a config dict, ``keras.losses.BinaryCrossentropy()`` and
``keras.metrics.BinaryAccuracy()`` under its own name (``binary_accuracy``)."""

import keras

MODULE = "ex04_stateful"
KIND = "variant"
CATCHES = []
SLOW = False


def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    model = keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, chunk, features)),
            keras.layers.LSTM(units, stateful=True),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.get(
            {"class_name": "Adam", "config": {"learning_rate": learning_rate}}
        ),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    return model
