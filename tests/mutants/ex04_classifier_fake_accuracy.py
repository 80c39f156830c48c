"""Mistake: the metric is named like accuracy (``acc_rate``) but is not accuracy: it reports 0.0
whatever the predictions. A check of the metric's name passes it; its value does not."""

import keras

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_build_stateful_classifier_is_compiled_for_binary_classification"]
SLOW = False


def acc_rate(y_true, y_pred):
    return keras.ops.mean(keras.ops.zeros_like(y_pred), axis=-1)


def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
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
        metrics=[acc_rate],
    )
    return model
