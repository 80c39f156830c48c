"""Mistake: Adam's learning rate is written in (0.01) instead of taken from ``learning_rate``:
the parameter has no effect."""

import keras

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_build_stateful_classifier_is_compiled_for_binary_classification"]
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
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
