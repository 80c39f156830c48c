"""Mistake: ``train_stateless`` peeks at whole sequences: ``window`` ignored, its model takes any
length and trains and validates on the full sequences, where the ceiling of windows does not hold.
"""

import keras
import numpy as np

from lstm_lab import TrainResult
from lstm_lab.models import StopWhenConverged, set_seed

from .ex05_training import _history

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = [
    "test_train_stateless_on_windows_cannot_beat_the_ceiling[0]",
    "test_train_stateless_validates_per_window",
]
SLOW = True


def train_stateless(X_train, y_train, X_val, y_val, *, window, units=8, epochs=30, seed=0):
    X_train = np.asarray(X_train, dtype=np.float32)
    set_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(None, X_train.shape[2])),
            keras.layers.LSTM(units),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        X_train,
        np.asarray(y_train, dtype=np.float32),
        epochs=epochs,
        batch_size=32,
        verbose=0,
        validation_data=(np.asarray(X_val, dtype=np.float32), np.asarray(y_val, dtype=np.float32)),
        callbacks=[StopWhenConverged()],
    )
    return TrainResult(model=model, history=_history(history.history))
