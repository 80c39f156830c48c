"""The worker's tripwire (``lstm_lab.grading.tripwire``): what the target may not change of the
grader's code in its process, seen as changed whichever way it is changed.

Each case runs in a fresh interpreter (the snapshot is of that process's modules)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from engine_support import clean_env

SETUP = """
import sys
from lstm_lab.grading import relay, scenarios, tripwire
snap = tripwire.Snapshot()
assert snap.changed() == [], snap.changed()
"""


def changed_after(attack: str, *, keras_first: bool = False) -> list[str]:
    code = ("import keras\n" if keras_first else "") + SETUP + textwrap.dedent(attack)
    code += "\nprint(repr(snap.changed()))\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return eval(proc.stdout.strip().splitlines()[-1])  # noqa: S307 - our own repr of a list


@pytest.mark.parametrize(
    "attack, names",
    [
        ("scenarios.train_probe = lambda *a, **k: {}", ["lstm_lab.grading.scenarios.train_probe"]),
        (
            "scenarios.lifecycle_probe.__code__ = (lambda *a, **k: {}).__code__",
            ["lstm_lab.grading.scenarios.lifecycle_probe"],
        ),
        (
            "scenarios._Recorder.fit = lambda self, model, *a, **k: None",
            ["lstm_lab.grading.scenarios._Recorder.fit"],
        ),
        ("del relay.reference_pieces", ["lstm_lab.grading.relay.reference_pieces"]),
        (
            "orig = scenarios.describe_model\n"
            "scenarios.describe_model = lambda m: {}\n"
            "snap.changed()\n"
            "scenarios.describe_model = orig",  # put back: still tripped
            ["lstm_lab.grading.scenarios.describe_model"],
        ),
    ],
    ids=["replaced", "code-swapped", "method", "deleted", "put-back"],
)
def test_a_change_to_the_graders_code_is_seen(attack, names):
    assert changed_after(attack) == names


def test_keras_imported_after_the_snapshot_is_guarded_from_its_first_import():
    # A NumPy-only worker has no Keras when the snapshot is taken: the target's own import of it
    # is watched, so a patch right after that import is seen.
    attack = "import keras\nkeras.Model.fit = lambda self, *a, **k: None\n"
    assert changed_after(attack) == ["keras.Model.fit"]
    attack = "import keras\nkeras.layers.Layer.get_weights = lambda self: []\n"
    # (Model inherits it: both names change)
    assert changed_after(attack, keras_first=True) == [
        "keras.Layer.get_weights",
        "keras.Model.get_weights",
    ]


def test_what_the_target_may_do_is_not_a_change():
    # Its own classes and functions, Keras models and subclasses, attributes of its own on Keras
    # (a Keras 2 shim), and grader modules imported later: none of it trips the wire.
    attack = """
    import keras
    class Mine(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            pass
    keras.Model.reset_states = lambda self: None
    model = keras.Sequential([keras.Input((3, 1)), keras.layers.LSTM(2)])
    model.compile("adam", "mse")
    from lstm_lab.grading import ahead
    """
    assert changed_after(attack) == []
