"""Variant: ``build_stateful_classifier`` with the functional API instead of ``Sequential``.

``keras.Model(inputs, outputs)`` lists its ``InputLayer`` among ``model.layers``.
"""

import keras

MODULE = "ex04_stateful"
KIND = "variant"
CATCHES = []
SLOW = False


def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    for name, value in (("batch_size", batch_size), ("chunk", chunk), ("units", units),
                        ("features", features)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    inputs = keras.Input(batch_shape=(batch_size, chunk, features))
    state = keras.layers.LSTM(units, stateful=True)(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid")(state)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return model
