"""Mistake: ``units`` defaults to 10 (the regressor's default of ex01) instead of 8."""

import keras

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_build_stateful_classifier_defaults"]
SLOW = False


def build_stateful_classifier(batch_size, chunk=1, units=10, features=1, learning_rate=0.01):
    model = keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, chunk, features)),
            keras.layers.LSTM(units, stateful=True),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
