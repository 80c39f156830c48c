"""Mistake: the batch shape is fixed but the LSTM is not ``stateful=True``: nothing carries."""

import keras

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = [
    "test_build_stateful_classifier_layers_and_batch_shape",
    "test_build_stateful_classifier_carries_state_between_batches",
]
SLOW = False


def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    model = keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, chunk, features)),
            keras.layers.LSTM(units),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
