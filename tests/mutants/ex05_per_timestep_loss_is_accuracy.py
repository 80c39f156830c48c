"""Mistake: ``train_per_timestep`` reports the mean accuracy of each epoch's ``train_on_batch``
calls as its ``loss`` (the two columns of the calls mixed up); the training itself is right."""

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = ["test_train_per_timestep_converges"]
SLOW = True

_honest_train_per_timestep = train_per_timestep  # noqa: F821 - the reference's, above


def train_per_timestep(X_train, y_train, X_val, y_val, **kwargs):
    result = _honest_train_per_timestep(X_train, y_train, X_val, y_val, **kwargs)
    result.history["loss"] = list(result.history["accuracy"])
    return result
