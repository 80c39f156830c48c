"""The Keras 2 → 3 crash signatures (``lstm_lab.grading.keras2``), against real crashes.

Each submission of ``fixtures/keras2/<name>/`` writes one exercise function the Keras 2 way. It
runs on this machine's Keras 3 in a worker, called as the rubric calls it (the same scenario
probes), and what comes back (``StudentError`` or ``ImportFailed``: type name, MRO, message) must
match its signature, and only it: if a Keras release words a crash differently, a test here
fails instead of the hint silently going away. The wordings matched are Keras 3.15's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from engine_support import ENGINE, assemble

from lstm_lab.data import echo_sequences, ramp
from lstm_lab.grading import budget, keras2, proxy, settings
from lstm_lab.grading.errors import GradingFailure, ImportFailed, StudentError
from lstm_lab.grading.proxy import TargetProxy

FIXTURES = ENGINE / "fixtures" / "keras2"
#: Seconds a fixture's call may take: the crash comes before any training.
CALL_TIMEOUT = 120
#: A judge-built stateful model, as ``test_ex04_stateful.spec`` builds it.
SPEC = {
    "batch_shape": [2, 3, 1],
    "layers": [["LSTM", {"units": 3, "stateful": True}], ["Dense", {"units": 1}]],
}
X_SPEC = np.random.default_rng(0).random((2, 3, 1))
ECHO_X, ECHO_Y = echo_sequences(4, 4, seed=0)
ECHO = (ECHO_X[:2], ECHO_Y[:2], ECHO_X[2:], ECHO_Y[2:])


@pytest.fixture(scope="module", autouse=True)
def _judge():
    """No sandbox, the default preload (Keras in the zygote); every worker stopped at the end.

    Module scoped: the zygote (3-5 s of TensorFlow import) is shared by every crash here.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in (settings.ENV, "LSTM_LAB_SANDBOX", "LSTM_LAB_PRELOAD"):
            patch.delenv(name, raising=False)
        yield
        proxy.close_all()
        budget.BUDGET.reset()


# -- how the rubric calls each function ------------------------------------------------------------
def lifecycle(target):
    return target.scenario("lifecycle_probe", ramp(), epochs=1, timeout=CALL_TIMEOUT)


def regressor(target):
    return target.scenario("regressor_probe", 3, 5, 2, timeout=CALL_TIMEOUT)


def classifier(target):
    return target.scenario(
        "stateful_classifier_probe", 2, 1, 3, 1, learning_rate=0.02, timeout=CALL_TIMEOUT
    )


def reset(target):
    return target.scenario("reset_states_probe", SPEC, X_SPEC, timeout=CALL_TIMEOUT)


def trainer(name: str, **kwargs) -> Callable:
    def run(target):
        return target.scenario("train_probe", name, *ECHO, timeout=CALL_TIMEOUT, **kwargs)

    return run


def call(module: str, function: str, *args) -> Callable:
    def run(target):
        return target.call(module, function, *args, timeout=CALL_TIMEOUT)

    return run


@dataclass(frozen=True)
class Crash:
    """A fixture submission, the signature its crash must match, and what the hint must say
    (taken from the message where the signature captures it)."""

    folder: str
    signature: str
    says: str
    run: Callable

    def __str__(self) -> str:
        return self.folder


CRASHES = (
    # ex01_lifecycle.run_lifecycle
    Crash("lr_sgd", "lr", "`keras.optimizers.SGD(learning_rate=0.1)`", lifecycle),
    Crash("nb_epoch", "nb_epoch", "`epochs=`", lifecycle),
    Crash("predict_classes", "predict_classes", "`Sequential` has no `predict_classes`", lifecycle),
    Crash("predict_proba", "predict_proba", "`Sequential` has no `predict_proba`", lifecycle),
    Crash("optimizer_lr", "optimizer_lr", "`Adam` has no `lr`", lifecycle),
    Crash("optimizers_legacy", "optimizers_legacy", "no legacy optimizers", lifecycle),
    Crash("backend_value", "backend_value", "no `set_value`", lifecycle),
    # ex01_lifecycle.build_regressor
    Crash("input_length", "input_length", "no `input_length=`", regressor),
    Crash("output_dim", "output_dim", "`units=`", regressor),
    Crash("cudnn_attr", "cudnn", "no `CuDNNLSTM`: use `keras.layers.LSTM`", regressor),
    # ex02, ex03: imports
    Crash(
        "timeseries_generator",
        "timeseries_generator",
        "timeseries_dataset_from_array",
        call("ex02_windows", "sliding_windows", ECHO_X[:, :, 0], ECHO_Y, 2),
    ),
    Crash(
        "np_utils",
        "np_utils",
        "keras.utils.to_categorical",
        call("ex03_labels", "expand_labels", ECHO_Y, 2),
    ),
    # ex04_stateful
    Crash("batch_input_shape", "batch_input_shape", "remove it from LSTM", classifier),
    Crash("stateful_batch_size", "stateful_batch_size", "fixed batch size", classifier),
    Crash("lr_adam", "lr", "learning_rate=0.02", classifier),
    Crash("cudnn_import", "cudnn", "no `CuDNNLSTM`: use `keras.layers.LSTM`", classifier),
    Crash("layers_submodule", "layers_submodule", "from keras.layers import", classifier),
    Crash("reset_states", "model_reset_states", "`Sequential` has no `reset_states()`", reset),
    Crash("state_updates", "state_updates", "`Sequential` has no `state_updates`", reset),
    # ex05_training
    Crash(
        "generators",
        "generators",
        "no `fit_generator`: `model.fit(...)`",
        trainer("train_stateful", batch_size=2, epochs=1),
    ),
    Crash(
        "sklearn_wrappers",
        "sklearn_wrappers",
        "scikeras",
        trainer("train_stateless", window=2, epochs=1),
    ),
    Crash(
        "backend_session",
        "backend_session",
        "`keras.backend.get_session`",
        trainer("train_stateful", batch_size=2, epochs=1),
    ),
)


def signatures_of(type_name: str, message: str, mro=None) -> list[str]:
    return [sig.name for sig, _ in keras2.matches(type_name, message, mro)]


# -- the table -------------------------------------------------------------------------------------
def test_every_signature_and_every_fixture_has_a_real_crash():
    # A signature no real crash checks could drift from Keras's wording unseen; a fixture no case
    # runs is dead weight.
    signatures = {sig.name for sig in keras2.SIGNATURES}
    assert len(signatures) == len(keras2.SIGNATURES), "two signatures share a name"
    assert signatures - {case.signature for case in CRASHES} == set()
    assert {case.signature for case in CRASHES} - signatures == set()
    folders = {path.name for path in FIXTURES.iterdir() if path.is_dir()}
    assert folders == {case.folder for case in CRASHES}


def test_every_hint_renders_from_what_its_patterns_capture():
    # A hint's {fields} come from the pattern's named groups or the signature's defaults; a field
    # that neither gives would raise KeyError at the worst moment, in a student's failure.
    for sig in keras2.SIGNATURES:
        for pattern in sig.patterns:
            fields = dict(sig.defaults, **{name: "X" for name in pattern.groupindex})
            hint = sig.hint.format_map(fields)
            assert "{" not in hint and "}" not in hint, sig.name
            assert hint.endswith("."), f"{sig.name}: a hint is a sentence"


# -- real crashes on Keras 3 -----------------------------------------------------------------------
@pytest.mark.parametrize("case", CRASHES, ids=str)
def test_a_keras2_habit_crashes_with_its_signature(case, tmp_path):
    # Run the Keras 2 code for real, as the rubric calls it; the judge gets only data back.
    target = TargetProxy(assemble(tmp_path, case.folder, FIXTURES / case.folder))
    try:
        with pytest.raises((StudentError, ImportFailed)) as caught:
            case.run(target)
    finally:
        target.close()
    error = caught.value
    mro = getattr(error, "mro", None)  # an import failure comes without
    seen = f"{error.type_name}: {error.message}"
    assert signatures_of(error.type_name, error.message, mro) == [case.signature], (
        f"{case.folder} crashed with {seen!r}: has Keras changed its wording?"
    )
    hint = keras2.hint_for(error.type_name, error.message, mro)
    assert case.says in hint, f"{case.folder}: {hint!r} after {seen!r}"
    text = str(error)  # the failure as the student reads it: the hint before the traceback
    assert text.count(keras2.LABEL) == 1 and hint in text.split("\n  File ")[0]
    assert keras2.with_hint(text, error.type_name, error.message, mro) == text, "once only"


# -- the wordings no fixture reproduces (recorded from Keras 3.15, and Keras 2 where said) ---------
RECORDED = [
    # tf.keras reaches Keras 3 under other module names
    (
        "AttributeError",
        "module 'keras._tf_keras.keras.layers' has no attribute 'CuDNNLSTM'",
        "cudnn",
    ),
    (
        "ImportError",
        "cannot import name 'CuDNNGRU' from 'tensorflow.keras.layers' (/x/__init__.py)",
        "cudnn",
    ),
    (
        "ModuleNotFoundError",
        "No module named 'tensorflow.keras.layers.recurrent'",
        "layers_submodule",
    ),
    ("ModuleNotFoundError", "No module named 'keras.layers.core'", "layers_submodule"),
    ("AttributeError", "module 'keras.layers' has no attribute 'recurrent'", "layers_submodule"),
    (
        "AttributeError",
        "module 'keras._tf_keras.keras.backend' has no attribute 'get_session'",
        "backend_session",
    ),
    ("AttributeError", "module 'keras.backend' has no attribute 'get_value'", "backend_value"),
    (
        "ImportError",
        "cannot import name 'np_utils' from 'tensorflow.keras.utils' (/x/__init__.py)",
        "np_utils",
    ),
    ("AttributeError", "module 'keras.utils' has no attribute 'np_utils'", "np_utils"),
    (
        "AttributeError",
        "module 'keras.wrappers' has no attribute 'scikit_learn'",
        "sklearn_wrappers",
    ),
    (
        "AttributeError",
        "module 'keras.preprocessing.sequence' has no attribute 'TimeseriesGenerator'",
        "timeseries_generator",
    ),
    # the same habit in another place
    ("ValueError", "Argument(s) not recognized: {'lr': 0.1}", "lr"),
    ("TypeError", "Trainer.compile() got an unexpected keyword argument 'lr'", "lr"),
    (
        "ValueError",
        "Unrecognized keyword arguments passed to Dense: {'output_dim': 3}",
        "output_dim",
    ),
    ("TypeError", "LSTM.__init__() missing 1 required positional argument: 'units'", "output_dim"),
    (
        "ValueError",
        "Unrecognized keyword arguments passed to Dense: {'batch_input_shape': (1, 1)}",
        "batch_input_shape",
    ),
    ("AttributeError", "'Functional' object has no attribute 'reset_states'", "model_reset_states"),
    ("AttributeError", "'MyModel' object has no attribute 'predict_classes'", "predict_classes"),
    ("AttributeError", "'Sequential' object has no attribute 'predict_generator'", "generators"),
    ("AttributeError", "'Sequential' object has no attribute 'evaluate_generator'", "generators"),
    ("AttributeError", "'SGD' object has no attribute 'lr'", "optimizer_lr"),
    # Keras 2 worded the stateful crash otherwise
    (
        "ValueError",
        "If a RNN is stateful, it needs to know its batch size. Specify the batch size of your "
        "input tensors: ...",
        "stateful_batch_size",
    ),
]


@pytest.mark.parametrize("type_name, message, signature", RECORDED)
def test_recorded_wordings_match_their_signature(type_name, message, signature):
    assert signatures_of(type_name, message) == [signature]


def test_the_hint_says_what_the_message_said():
    hint = keras2.hint_for("ValueError", "Argument(s) not recognized: {'lr': 0.25}")
    assert "learning_rate=0.25" in hint
    hint = keras2.hint_for("AttributeError", "'Sequential' object has no attribute 'fit_generator'")
    assert "`Sequential` has no `fit_generator`: `model.fit(...)`" in hint
    hint = keras2.hint_for("ImportError", "cannot import name 'CuDNNGRU' from 'keras.layers'")
    assert "`keras.layers.GRU`" in hint


def test_one_message_with_two_habits_gets_both_hints_once():
    message = "Unrecognized keyword arguments passed to LSTM: {'batch_input_shape': (1, 2, 1), 'output_dim': 4}"  # noqa: E501
    assert signatures_of("ValueError", message) == ["batch_input_shape", "output_dim"]
    hint = keras2.hint_for("ValueError", message)
    assert hint.count("batch_input_shape=") == 1 and hint.count("`units=`") == 1


# -- no hint where none follows --------------------------------------------------------------------
ORDINARY = [
    # the student's own ValueErrors, even with Keras words in them
    ("ValueError", "window must be between 1 and the sequence length 20, got 0"),
    ("ValueError", "stateful_batches: the batch size 3 does not divide the 10 sequences"),
    ("ValueError", "lr must be positive, got -1"),
    ("ValueError", "unexpected shape for 'X': (3,)"),
    # a Keras 2 message raised as another type: the student's own exception, not Keras's
    ("RuntimeError", "Unrecognized keyword arguments passed to LSTM: {'batch_input_shape': (1,)}"),
    ("KeyError", "'lr'"),
    # a Keras 2 name on an object that is no model or optimizer: a function returned the wrong thing
    ("AttributeError", "'NoneType' object has no attribute 'reset_states'"),
    ("AttributeError", "'list' object has no attribute 'predict_classes'"),
    ("AttributeError", "'numpy.ndarray' object has no attribute 'lr'"),
    ("AttributeError", "'dict' object has no attribute 'fit_generator'"),
    # names that are not Keras 2 names
    ("AttributeError", "'Sequential' object has no attribute 'reset_state'"),
    ("AttributeError", "'Sequential' object has no attribute 'fit_batches'"),
    ("AttributeError", "module 'keras.layers' has no attribute 'LSTMcell'"),
    ("AttributeError", "module 'keras.backend' has no attribute 'sessions'"),
    ("AttributeError", "module 'numpy' has no attribute 'get_session'"),
    ("TypeError", "sliding_windows() got an unexpected keyword argument 'win'"),
    ("TypeError", "make_model() missing 1 required positional argument: 'units'"),
    ("ModuleNotFoundError", "No module named 'kears'"),
    ("ImportError", "cannot import name 'sliding_window' from 'lstm_lab.checks'"),
    ("NotImplementedError", "to do"),
    ("ValueError", ""),
]


@pytest.mark.parametrize("type_name, message", ORDINARY)
def test_an_ordinary_error_gets_no_hint(type_name, message):
    assert keras2.hint_for(type_name, message) is None
    text = f"f raised {type_name}: {message}"
    assert keras2.with_hint(text, type_name, message) == text


def test_the_references_value_errors_get_no_hint():
    # Real ValueErrors of the reference's own argument checks (lstm_lab.checks and the solutions).
    reference = TargetProxy("solutions")
    bits, labels = ECHO_X[:3, :, 0], ECHO_Y[:3]
    calls = [
        ("ex01_lifecycle", "to_supervised", ramp(), 0),
        ("ex01_lifecycle", "probabilities_to_classes", np.array([[1.5]])),
        ("ex02_windows", "sliding_windows", bits, labels, 0),
        ("ex03_labels", "stateful_batches", bits, labels, 2),
        ("ex03_labels", "stateful_batches", bits, labels, 1, 3),
    ]
    seen = []
    try:
        for module, function, *args in calls:
            with pytest.raises(StudentError) as caught:
                reference.call(module, function, *args)
            error = caught.value
            seen.append(error.type_name)
            assert keras2.hint_for(error.type_name, error.message, error.mro) is None, error.message
    finally:
        reference.close()
    assert seen == ["ValueError"] * len(calls)


# -- with_hint -------------------------------------------------------------------------------------
def test_with_hint_adds_the_hint_once_on_a_line_of_its_own():
    message = "'Sequential' object has no attribute 'reset_states'"
    text = f"reset_states raised AttributeError: {message}"
    once = keras2.with_hint(text, "AttributeError", message, ["AttributeError", "Exception"])
    assert once.startswith(text + "\n" + keras2.LABEL + " Keras 3's `Sequential`")
    assert keras2.with_hint(once, "AttributeError", message) == once


def test_a_subclass_is_matched_by_its_mro():
    message = "'Sequential' object has no attribute 'predict_classes'"
    mro = ["StudentsError", "AttributeError", "Exception", "BaseException", "object"]
    assert signatures_of("StudentsError", message, mro) == ["predict_classes"]
    assert signatures_of("StudentsError", message) == []


def test_an_import_failure_without_mro_is_matched_by_its_type():
    # errors.ImportFailed keeps no MRO: ModuleNotFoundError must be matched by its own name.
    failure = ImportFailed(
        "ex04_stateful", "ModuleNotFoundError", "No module named 'keras.layers.recurrent'"
    )
    assert isinstance(failure, GradingFailure) and not hasattr(failure, "mro")
    assert signatures_of(failure.type_name, failure.message) == ["layers_submodule"]


def test_a_hostile_message_costs_no_time():
    # Every gap in a pattern is bounded: a message built of the words the patterns look for is
    # searched in linear time (an unbounded lazy gap took 3 s on such a message).
    hostile = [
        ("unrecognized RNN stateful passed to 'x' " * 60)[: keras2.SCAN],
        ("Unrecognized '" * 200)[: keras2.SCAN],
        ("'aModel" * 400)[: keras2.SCAN],
    ]
    start = time.perf_counter()
    for message in hostile:
        for type_name in ("ValueError", "TypeError", "AttributeError", "ImportError"):
            keras2.hint_for(type_name, message)
    assert time.perf_counter() - start < 1.0
