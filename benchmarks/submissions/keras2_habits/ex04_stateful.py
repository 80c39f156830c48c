"""Keras 2 habits: ``batch_input_shape=`` on the first layer, ``model.reset_states()``."""

import keras as _keras


def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    model = _keras.Sequential(
        [
            _keras.layers.LSTM(
                units, batch_input_shape=(batch_size, chunk, features), stateful=True
            ),
            _keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=_keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def reset_states(model):
    model.reset_states()
    return 1
