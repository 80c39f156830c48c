"""Right but slow: train_stateful calls fit once per epoch in a Python loop and validates with
its own per-epoch loop; train_per_timestep converts every timestep from NumPy on every call."""

import numpy as _np

from lstm_lab.models import stateless_twin as _twin


def train_stateful(X_train, y_train, X_val, y_val, *, batch_size, chunk=1, units=8,
                   epochs=150, seed=0):  # fmt: skip
    X_train, y_train = _np.asarray(X_train, "float32"), _np.asarray(y_train)
    length = X_train.shape[1]
    Xb, yb = stateful_batches(X_train, y_train, batch_size, chunk)  # noqa: F821
    set_seed(seed)  # noqa: F821
    model = build_stateful_classifier(batch_size, chunk, units, X_train.shape[2])  # noqa: F821
    twin = _twin(model)
    history = {k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    for _ in range(epochs):
        h = model.fit(
            Xb, yb, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
            callbacks=[ResetStatesEvery(length // chunk)],  # noqa: F821
        )  # fmt: skip
        reset_states(model)  # noqa: F821
        twin.set_weights(model.get_weights())
        val_loss, val_accuracy = sequence_metrics(twin, X_val, y_val)  # noqa: F821
        for key, value in (("loss", h.history["loss"][0]), ("accuracy", h.history["accuracy"][0]),
                           ("val_loss", val_loss), ("val_accuracy", val_accuracy)):  # fmt: skip
            history[key].append(float(value))
        if val_accuracy >= 1.0 and val_loss <= 0.05:
            break
    return TrainResult(model=model, history=history)  # noqa: F821


def train_per_timestep(X_train, y_train, X_val, y_val, *, units=8, epochs=40, seed=0):
    X_train, y_train = _np.asarray(X_train, "float32"), _np.asarray(y_train, "float32")
    n, length, features = X_train.shape
    set_seed(seed)  # noqa: F821
    model = build_stateful_classifier(1, 1, units, features)  # noqa: F821
    model.compile(optimizer=_optimizer(1), loss="binary_crossentropy", metrics=["accuracy"])  # noqa: F821
    twin = _twin(model)
    history = {k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    for _ in range(epochs):
        losses, accuracies = [], []
        for i in range(n):
            for t in range(length):
                loss, accuracy = model.train_on_batch(
                    X_train[i : i + 1, t : t + 1, :], y_train[i : i + 1].reshape(1, 1)
                )
                losses.append(loss)
                accuracies.append(accuracy)
            reset_states(model)  # noqa: F821
        twin.set_weights(model.get_weights())
        val_loss, val_accuracy = sequence_metrics(twin, X_val, y_val)  # noqa: F821
        for key, value in (("loss", _np.mean(losses)), ("accuracy", _np.mean(accuracies)),
                           ("val_loss", val_loss), ("val_accuracy", val_accuracy)):  # fmt: skip
            history[key].append(float(value))
        if val_accuracy >= 1.0 and val_loss <= 0.05:
            break
    return TrainResult(model=model, history=history)  # noqa: F821
