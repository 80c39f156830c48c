"""Mistake: ``train_stateless`` forgets to window the training side: its model, declared for
windows, is fitted on whole sequences (Keras accepts the longer input) and validated on windows.

It learns to echo the first timestep it sees, a rule only whole sequences obey: on windows it is
confidently wrong half the time.
"""

import keras
import numpy as np

from lstm_lab import TrainResult
from lstm_lab.models import set_seed

from .ex02_windows import sliding_windows
from .ex05_training import _history

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = ["test_train_stateless_on_windows_cannot_beat_the_ceiling[0]"]
SLOW = True


def train_stateless(X_train, y_train, X_val, y_val, *, window, units=8, epochs=30, seed=0):
    X_train = np.asarray(X_train, dtype=np.float32)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    set_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(window, X_train.shape[2])),
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
        validation_data=(Xw_val, yw_val.astype(np.float32)),
    )
    return TrainResult(model=model, history=_history(history.history))
