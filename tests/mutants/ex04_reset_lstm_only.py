"""Mistake: ``reset_states`` resets (and counts) the stateful ``LSTM`` layers only, walking nested
models: a stateful ``GRU`` or ``SimpleRNN`` keeps its state, and so does the callback that uses
it."""

import keras

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = [
    "test_reset_states_resets_every_kind_of_stateful_layer[gru]",
    "test_reset_states_resets_every_kind_of_stateful_layer[simple-rnn]",
    "test_reset_states_resets_every_kind_of_stateful_layer[lstm-gru-simple-rnn]",
    "test_reset_states_resets_every_kind_of_stateful_layer[functional-nesting]",
    "test_reset_callback_uses_the_batch_index_keras_passes[gru-simple-rnn-2-steps-per-execution]",
    "test_reset_callback_uses_the_batch_index_keras_passes[nested-3-steps-per-execution]",
    "test_reset_callback_gives_the_stateless_output_with_several_steps_per_execution"
    "[nested-gru-3-steps-per-execution]",
]
SLOW = False


def _walk(layer):
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _walk(sub)


def reset_states(model):
    count = 0
    for layer in _walk(model):
        if isinstance(layer, keras.layers.LSTM) and layer.stateful:
            layer.reset_state()
            count += 1
    return count
