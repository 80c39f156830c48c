"""Keras 2 habits: the optimizer by ``lr=``, classes from ``predict_classes``."""

import keras as _keras


def run_lifecycle(series, *, lag=1, units=10, epochs=600, optimizer="adam", seed=0):
    X, y = to_supervised(series, lag)  # noqa: F821 - the module's own
    set_seed(seed)  # noqa: F821
    model = build_regressor(lag, units)  # noqa: F821
    model.compile(optimizer=_keras.optimizers.Adam(lr=0.01), loss="mse")
    history = model.fit(X, y, epochs=epochs, batch_size=1, shuffle=False, verbose=0)
    return Lifecycle(  # noqa: F821
        model=model,
        history=history.history,
        loss=float(model.evaluate(X, y, verbose=0)),
        predictions=model.predict(X, verbose=0).reshape(-1),
    )


def probabilities_to_classes(probs):
    return _keras.Sequential().predict_classes(probs)
