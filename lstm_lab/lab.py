"""``lstm-lab run``: train every approach of the lesson against a target and report them.

The lab runs, in teaching order, the five-step life cycle on the ramp, the stateless attempt on
windows, the stateful model fed one timestep at a time (the explicit loop and ``fit``), truncated
backpropagation through time, and three pitfalls run on purpose (``lstm_lab.pitfalls``). Each
approach calls the target's function in this process through its public signature; a part the
target has not implemented yet becomes a "not implemented yet" row, any other exception that
approach's error, and the rest still runs.

The lab holds no answers of its own. The pitfalls are built from the target's
``stateful_batches``, ``build_stateful_classifier`` and ``ResetStatesEvery``, and the stateless
rows' ceiling is the target's ``stateless_ceiling``; where the target has not implemented them
yet, the reference solution's stand in if the reference solutions are at hand (``solutions/`` in
the instructor's repository, or ``$LSTM_LAB_REFERENCE``: see ``reference_target``). Without them
a pitfall row says what it needs first ("needs ex04_stateful.build_stateful_classifier ...
first"), and a stateless row has no ceiling.

The result is a plain dict (see ``run_lab``) that ``lstm_lab.report`` turns into a terminal
table, ``results.json``, learning-curve plots and ``index.html``. This module imports neither
TensorFlow nor matplotlib at import time, so that ``lstm-lab --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .target import MODULES, reference_target

#: Where ``lstm-lab run`` writes its report unless told otherwise.
DEFAULT_OUT = "lstm_lab_report"

#: The statuses a row can have.
OK, NOT_IMPLEMENTED, ERROR = "ok", "not implemented", "error"

#: The life-cycle lesson's success criterion: every prediction within this of its target.
LIFECYCLE_TOLERANCE = 0.05

#: Names the reference solutions' directory (a target, as ``--target`` takes it; empty: none).
#: Unset, it is ``solutions``, found as ``lstm_lab.target.resolve`` finds targets.


@dataclass(frozen=True)
class Approach:
    """One row of the lab: what to call, with which arguments, and what it teaches.

    ``module``/``function`` name the target's function (``module`` is ``None`` for the lab's own
    pitfalls, whose ``function`` is then a name in ``lstm_lab.pitfalls``). ``kwargs`` are the
    keyword arguments beyond the data, the seed and ``epochs``; ``"L"`` stands for the sequence
    length. ``window`` is set for the stateless approaches, whose ceiling is
    ``stateless_ceiling(L, window)``.
    """

    id: str
    title: str
    group: str
    module: str | None
    function: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    about: str = ""
    what_goes_wrong: str = ""
    window: int | str | None = None

    @property
    def pitfall(self) -> bool:
        return self.group == "pitfall"

    def arguments(self, length: int) -> dict[str, Any]:
        """``kwargs`` with ``"L"`` replaced by the sequence length ``length``."""
        return {k: (length if v == "L" else v) for k, v in self.kwargs.items()}

    def call(self, length: int) -> str:
        """The call as a student would write it, e.g. ``ex05_training.train_stateful(...)``."""
        args = ", ".join(f"{k}={v}" for k, v in self.arguments(length).items())
        where = self.module if self.module else "lstm_lab.pitfalls"
        return f"{where}.{self.function}({args})"


#: Every approach of the lesson, in teaching order. ``"L"`` stands for the sequence length.
APPROACHES: tuple[Approach, ...] = (
    Approach(
        "lifecycle",
        "Life cycle on the ramp",
        "lifecycle",
        "ex01_lifecycle",
        "run_lifecycle",
        about="Define, compile, fit, evaluate, predict: an LSTM(10) and a Dense(1) learn that each "
        "value of the ramp 0.0, 0.1, ..., 0.9 is followed by the value 0.1 higher.",
    ),
    Approach(
        "stateless_w10",
        "Stateless, windows of 10",
        "stateless",
        "ex05_training",
        "train_stateless",
        {"window": 10},
        about="A stateless LSTM on every window of 10 timesteps; each window is a sample with its "
        "sequence's label. Only the window starting at 0 holds the bit.",
        window=10,
    ),
    Approach(
        "stateless_whole",
        "Stateless, whole sequences",
        "stateless",
        "ex05_training",
        "train_stateless",
        {"window": "L"},
        about="The window is the whole sequence: every sample holds the bit, so the ceiling is "
        "1.0, at the price of having every sequence whole in memory at once.",
        window="L",
    ),
    Approach(
        "per_timestep",
        "Stateful, explicit loop, batch 1",
        "stateful",
        "ex05_training",
        "train_per_timestep",
        about="The classic loop: train_on_batch on one timestep of one sequence at a time, the "
        "state reset by hand after every sequence. 1,800 calls an epoch: slow by nature.",
    ),
    Approach(
        "stateful_b1",
        "Stateful fit, batch 1",
        "stateful",
        "ex05_training",
        "train_stateful",
        {"batch_size": 1, "chunk": 1},
        about="The same computation as the explicit loop, driven by fit(shuffle=False) with "
        "ResetStatesEvery(L): one sequence after another, one timestep per batch.",
    ),
    Approach(
        "stateful_b10",
        "Stateful fit, batch 10",
        "stateful",
        "ex05_training",
        "train_stateful",
        {"batch_size": 10, "chunk": 1},
        about="Ten sequences side by side, slot b of every batch always the same sequence; the "
        "states are reset before each group of 10 sequences.",
    ),
    Approach(
        "stateful_b90",
        "Stateful fit, batch 90",
        "stateful",
        "ex05_training",
        "train_stateful",
        {"batch_size": 90, "chunk": 1},
        about="All 90 training sequences side by side: one group, 20 batches an epoch, one "
        "timestep each.",
    ),
    *(
        Approach(
            f"tbptt_c{chunk}",
            f"Truncated BPTT, chunks of {chunk}",
            "tbptt",
            "ex05_training",
            "train_stateful",
            {"batch_size": 10, "chunk": chunk},
            about=f"Batch 10, {chunk} timesteps a batch: the state is carried from chunk to "
            f"chunk, gradients flow back {chunk} timesteps at most.",
        )
        for chunk in (2, 5, 10)
    ),
    Approach(
        "pitfall_batch_axis",
        "Pitfall: timesteps across batch",
        "pitfall",
        None,
        "train_timesteps_across_batch",
        {"batch_size": "L"},
        about="The rows of stateful_batches(X, y, 1, 1), fed 20 to a batch: one sequence per "
        "batch, its 20 timesteps as the 20 rows, the states reset before every batch "
        "(ResetStatesEvery(1): before every sequence).",
        what_goes_wrong="A stateful layer keeps one state per row of the batch. The state of row "
        "0, which read the bit, is handed to row 0 of the next batch (timestep 0 of the next "
        "sequence), never to timestep 1: every timestep is seen alone. Only row 0 can know the "
        "label, so training accuracy stays near (1 + 0.5 * 19) / 20 = 0.525 and validation on "
        "whole sequences near chance.",
    ),
    Approach(
        "pitfall_reset_every_batch",
        "Pitfall: reset every batch",
        "pitfall",
        None,
        "train_resetting_every_batch",
        {"batch_size": 10},
        about="The correct layout of 'Stateful fit, batch 10', but the states are reset before "
        "every batch (ResetStatesEvery(1)) instead of before every group of L batches "
        "(ResetStatesEvery(L)).",
        what_goes_wrong="With one timestep per batch, a reset before every batch starts every "
        "timestep from zeros: the memory is thrown away and the bit is lost right after "
        "timestep 0. The model is a stateless model on windows of 1, whose ceiling is "
        "(1 + 0.5 * 19) / 20 = 0.525; validation on whole sequences stays near chance.",
    ),
    Approach(
        "pitfall_overwritten_labels",
        "Pitfall: overwritten labels",
        "pitfall",
        None,
        "train_with_overwritten_labels",
        {"batch_size": 1},
        about="Stateful fit, batch 1, correct layout and resets, but the labels come from "
        "expand_labels_overwrite: a loop writing out[i] = y[i] instead of filling a run of L.",
        what_goes_wrong="Only the first n of the n * L labels are ever written, and to the wrong "
        "rows: almost every label is 0. A model that always answers 0 scores a training accuracy "
        "that looks high only because almost every label is 0; on the balanced validation "
        "sequences it is right half the time.",
    ),
)

#: Epoch caps of a full run: only where the target's default would blow the two-minute budget
#: (measured on 2 shared cores against solutions/: the life cycle costs about 0.08 s an epoch,
#: the explicit loop about 2 s, stateful fit with batch 1 about 1 s). ``min(default, cap)`` is
#: passed; a cap below the default is reported.
FULL_CAPS: dict[str, int] = {"lifecycle": 200, "per_timestep": 5, "stateful_b1": 10}

#: Epoch caps of ``--quick``: a fast look, every approach short.
QUICK_CAPS: dict[str, int] = {
    "lifecycle": 20,
    "stateless_w10": 3,
    "stateless_whole": 3,
    "per_timestep": 1,
    "stateful_b1": 1,
    "stateful_b10": 10,
    "stateful_b90": 10,
    "tbptt_c2": 10,
    "tbptt_c5": 10,
    "tbptt_c10": 10,
}

#: How long each pitfall trains, on purpose (long enough to show it goes nowhere).
PITFALL_EPOCHS = {
    False: {
        "pitfall_batch_axis": 10,
        "pitfall_reset_every_batch": 10,
        "pitfall_overwritten_labels": 3,
    },
    True: {
        "pitfall_batch_axis": 2,
        "pitfall_reset_every_batch": 2,
        "pitfall_overwritten_labels": 1,
    },
}


# --------------------------------------------------------------------------------------------
# Pure helpers (no TensorFlow): convergence, ceilings, numbers for JSON.


def converged_epoch(history: dict, accuracy: float, loss: float) -> int | None:
    """The first epoch (1-based) whose validation meets the threshold, or ``None``."""
    accs = history.get("val_accuracy") or []
    losses = history.get("val_loss") or []
    for epoch, (acc, val_loss) in enumerate(zip(accs, losses, strict=False), start=1):
        if finite(acc) is not None and finite(val_loss) is not None:
            if acc >= accuracy and val_loss <= loss:
                return epoch
    return None


def finite(value) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, NaN or infinite (JSON has no NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clean_history(history) -> dict[str, list[float | None]]:
    """A history as JSON-ready per-epoch lists of floats (``None`` for NaN)."""
    if not isinstance(history, dict):
        raise TypeError(
            f"the result's history must be a dict of per-epoch lists, got {type(history).__name__}"
        )
    out = {}
    for key, values in history.items():
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        out[str(key)] = [finite(v) for v in values]
    return out


def final_metrics(history: dict) -> dict[str, float | None]:
    """The last value of each of ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``."""
    return {
        key: (history[key][-1] if history.get(key) else None)
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
    }


def describe_exception(error: BaseException) -> str:
    """``"Type: message"``, the message cut to one readable paragraph."""
    message = " ".join(str(error).split())
    if len(message) > 400:
        message = message[:397] + "..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _not_implemented(error: BaseException) -> bool:
    """Whether ``error`` says a part of the target is missing (not a bug in it)."""
    if isinstance(error, NotImplementedError):
        return True
    if isinstance(error, ModuleNotFoundError):
        name = (error.name or "").rsplit(".", 1)[-1]
        return name in MODULES
    return False


def new_row(approach: Approach, length: int) -> dict[str, Any]:
    """An empty row for ``approach``: status ``ok`` until something says otherwise."""
    return {
        "id": approach.id,
        "title": approach.title,
        "group": approach.group,
        "pitfall": approach.pitfall,
        "call": approach.call(length),
        "about": approach.about,
        "what_goes_wrong": approach.what_goes_wrong or None,
        "status": OK,
        "message": None,
        "seconds": None,
        "epochs": None,
        "default_epochs": None,
        "epoch_cap": None,
        "stopped_at_cap": False,
        "final": {"loss": None, "accuracy": None, "val_loss": None, "val_accuracy": None},
        "converged": {"epoch": None, "seconds": None, "estimated": False},
        "ceiling": None,
        "history": {},
        "notes": [],
        "needs": None,
    }


def fill_training_row(
    row: dict,
    history: dict,
    seconds: float,
    epoch_stamps: list[float],
    threshold: dict[str, float],
) -> None:
    """Fill ``row``'s numbers from a training ``history`` and the call's timing.

    ``epoch_stamps`` are the seconds from the start of the call to the end of each epoch, when
    they could be measured (one per epoch of ``history``); otherwise the seconds to converge are
    estimated as a share of the whole call, and marked so.
    """
    history = clean_history(history)
    missing = [k for k in ("loss", "val_loss", "val_accuracy") if not history.get(k)]
    if missing:
        raise ValueError(
            f"the returned history has no values for {', '.join(missing)}; it must have "
            "per-epoch lists for loss, accuracy, val_loss and val_accuracy"
        )
    row["history"] = history
    row["final"] = final_metrics(history)
    row["epochs"] = len(history["val_accuracy"])
    row["seconds"] = round(seconds, 3)
    epoch = converged_epoch(history, threshold["val_accuracy"], threshold["val_loss"])
    converged = {"epoch": epoch, "seconds": None, "estimated": False}
    if epoch is not None:
        if len(epoch_stamps) == row["epochs"]:
            converged["seconds"] = round(epoch_stamps[epoch - 1], 3)
        else:
            converged["seconds"] = round(seconds * epoch / row["epochs"], 3)
            converged["estimated"] = epoch < row["epochs"]
    row["converged"] = converged


# --------------------------------------------------------------------------------------------
# Running the approaches (TensorFlow is imported here, inside the functions).


@contextlib.contextmanager
def epoch_clock():
    """Record when each ``fit`` epoch ends, as seconds since the block began.

    Wraps ``keras.callbacks.History.on_epoch_end`` (every ``fit`` has a ``History``) for the
    duration of the block, so that the lab can tell how long a target took to reach the
    threshold without changing the target's code. Loops that do not use ``fit`` leave it empty.
    """
    import keras

    start = time.perf_counter()
    stamps: list[float] = []
    original = keras.callbacks.History.on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        original(self, epoch, logs)
        stamps.append(time.perf_counter() - start)

    keras.callbacks.History.on_epoch_end = on_epoch_end
    try:
        yield stamps
    finally:
        keras.callbacks.History.on_epoch_end = original


@dataclass
class Lab:
    """The state of one run: target, data, seed, mode, and where progress goes."""

    target: Path
    seed: int = 0
    quick: bool = False
    progress: Callable[[str], None] = lambda line: None
    #: The reference solutions whose pieces stand in for the pitfalls (``None``: the default of
    #: ``reference_target``; ``""``: none).
    reference: str | Path | None = None
    data: tuple = ()
    threshold: dict[str, float] = field(default_factory=dict)

    def cap(self, approach: Approach) -> int | None:
        caps = QUICK_CAPS if self.quick else FULL_CAPS
        return caps.get(approach.id)

    # -- loading the target's pieces ---------------------------------------------------------

    def function(self, module: str, name: str):
        from .target import load_module

        loaded = load_module(self.target, module)
        if not hasattr(loaded, name):
            raise NotImplementedError(f"{module}.py has no function {name}")
        return getattr(loaded, name)

    def reference_function(self, module: str, name: str):
        """The reference solution's ``module.name``, or ``None`` when there is none."""
        from .target import load_module

        where = reference_target(self.reference)
        if where is None:
            return None
        try:
            loaded = load_module(where, module)
        except ModuleNotFoundError as error:
            if not _not_implemented(error):
                raise
            return None
        return getattr(loaded, name, None)

    # -- one approach --------------------------------------------------------------------------

    def run_approach(self, approach: Approach) -> dict[str, Any]:
        """Run one approach; never raises for what the target does (it lands in the row)."""
        import keras

        from .models import set_seed

        length = self.data[0].shape[1]
        row = new_row(approach, length)
        keras.backend.clear_session(free_memory=False)  # a full gc costs 0.25 s a row
        set_seed(self.seed)
        try:
            if approach.group == "lifecycle":
                self._lifecycle(approach, row)
            elif approach.pitfall:
                self._pitfall(approach, row)
            else:
                self._trainer(approach, row)
        except Exception as error:  # any failure of the target lands in its row
            row["status"] = NOT_IMPLEMENTED if _not_implemented(error) else ERROR
            row["message"] = describe_exception(error)
            if row["status"] == ERROR:
                row["traceback"] = traceback.format_exc(limit=-6)
        if approach.window is not None:
            self._ceiling(approach, row, length)
        self._note_cap(row)
        return row

    def _note_cap(self, row: dict) -> None:
        """Mark a row that ran into its epoch cap, and say why there was one."""
        cap, epochs = row["epoch_cap"], row["epochs"]
        row["stopped_at_cap"] = bool(row["status"] == OK and cap and epochs and epochs >= cap)
        if row["stopped_at_cap"]:
            why = "--quick" if self.quick else "to keep the whole run within its time budget"
            default = row["default_epochs"]
            default = f"; the target's default is {default}" if default else ""
            row["notes"].append(f"stopped at the cap of {cap} epochs ({why}{default})")

    def _epochs(self, approach: Approach, fn, row) -> dict[str, int]:
        """The ``epochs`` keyword to pass: the cap when it is below the target's default."""
        parameter = inspect.signature(fn).parameters.get("epochs")
        default = parameter.default if parameter is not None else inspect.Parameter.empty
        default = default if isinstance(default, int) and not isinstance(default, bool) else None
        row["default_epochs"] = default
        cap = self.cap(approach)
        if cap is None or parameter is None:
            return {}
        if default is None or cap < default:
            row["epoch_cap"] = cap
            return {"epochs": cap}
        return {}

    def _timed(self, fn, *args, **kwargs):
        with epoch_clock() as stamps:
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            seconds = time.perf_counter() - start
        return result, seconds, list(stamps)

    def _trainer(self, approach: Approach, row: dict) -> None:
        fn = self.function(approach.module, approach.function)
        X_train, X_val, y_train, y_val = self.data
        length = X_train.shape[1]
        kwargs = approach.arguments(length)
        kwargs.update(self._epochs(approach, fn, row))
        result, seconds, stamps = self._timed(
            fn, X_train, y_train, X_val, y_val, seed=self.seed, **kwargs
        )
        history = getattr(result, "history", None)
        fill_training_row(row, history, seconds, stamps, self.threshold)

    def _lifecycle(self, approach: Approach, row: dict) -> None:
        from .data import ramp

        fn = self.function(approach.module, approach.function)
        series = ramp()
        kwargs = self._epochs(approach, fn, row)
        result, seconds, _ = self._timed(fn, series, seed=self.seed, **kwargs)
        history = clean_history(getattr(result, "history", None))
        predictions = np.asarray(result.predictions, dtype=np.float64).reshape(-1)
        targets = series[1:]
        if predictions.shape != targets.shape:
            raise ValueError(
                f"run_lifecycle returned {predictions.size} predictions for {targets.size} "
                f"targets (len(series) - lag); expected shape {targets.shape}"
            )
        errors = np.abs(predictions - targets)
        within = bool(np.all(errors <= LIFECYCLE_TOLERANCE))
        row["history"] = history
        row["epochs"] = len(history.get("loss", []))
        row["seconds"] = round(seconds, 3)
        row["final"] = final_metrics(history)
        row["final"]["loss"] = finite(result.loss)
        row["lifecycle"] = {
            "loss": finite(result.loss),
            "targets": [float(t) for t in targets],
            "predictions": [finite(p) for p in predictions],
            "max_error": finite(errors.max()),
            "tolerance": LIFECYCLE_TOLERANCE,
            "within_tolerance": within,
        }
        row["converged"] = {
            "epoch": row["epochs"] if within else None,
            "seconds": row["seconds"] if within else None,
            "estimated": False,
            "criterion": f"every prediction within {LIFECYCLE_TOLERANCE} of its target",
        }

    def _pitfall(self, approach: Approach, row: dict) -> None:
        from . import pitfalls

        fn = getattr(pitfalls, approach.function)
        X_train, X_val, y_train, y_val = self.data
        length = X_train.shape[1]
        kwargs = approach.arguments(length)
        epochs = PITFALL_EPOCHS[self.quick][approach.id]
        pieces = pitfalls.Pieces.from_target(self.target, self.reference)
        missing = pieces.error()
        if missing is not None:  # neither the target nor a reference solution has them
            row["status"] = NOT_IMPLEMENTED
            row["message"] = str(missing)
            row["needs"] = list(missing.needs)
            return
        result, seconds, stamps = self._timed(
            fn,
            X_train,
            y_train,
            X_val,
            y_val,
            epochs=epochs,
            seed=self.seed,
            pieces=pieces,
            **kwargs,
        )
        fill_training_row(row, result.history, seconds, stamps, self.threshold)
        row["notes"].extend(result.notes)
        row["pitfall_facts"] = dict(result.facts)

    def _ceiling(self, approach: Approach, row: dict, length: int) -> None:
        """The target's ``stateless_ceiling(L, window)``, checked against the reference
        solution's; the reference solution's stands in where the target's fails."""
        window = length if approach.window == "L" else approach.window
        try:
            fn = self.reference_function("ex02_windows", "stateless_ceiling")
            reference = finite(fn(length, window)) if fn is not None else None
        except Exception:  # the row's own result matters more than the check
            reference = None
        try:
            ceiling = finite(self.function("ex02_windows", "stateless_ceiling")(length, window))
        except Exception as error:  # the reference solution's stands in, if there is one
            why = "not implemented yet" if _not_implemented(error) else describe_exception(error)
            row["ceiling"] = reference
            if reference is None:
                row["notes"].append(
                    f"no ceiling: the target's stateless_ceiling is {why}, and there is no "
                    "reference solution to stand in"
                )
            else:
                row["notes"].append(
                    f"ceiling {reference:.3f} from the reference solution: the target's "
                    f"stateless_ceiling is {why}"
                )
            return
        row["ceiling"] = ceiling
        if reference is not None and (ceiling is None or abs(ceiling - reference) > 1e-9):
            row["notes"].append(
                f"the target's stateless_ceiling({length}, {window}) gives {ceiling}; the "
                f"reference solution's, (1 + 0.5 (L - w)) / (L - w + 1), gives {reference:.4f}"
            )

    # -- the whole lab -------------------------------------------------------------------------

    def run(self, approaches=APPROACHES) -> dict[str, Any]:
        """Run ``approaches`` in order, reporting progress; return the results dict."""
        started = time.perf_counter()
        self.progress(
            f"lstm-lab run: target {self.target}, seed {self.seed}{', quick' if self.quick else ''}"
        )
        self.progress("loading TensorFlow and warming up ...")
        # Many small models in one process make TensorFlow warn about retracing: expected here.
        tf_logger = logging.getLogger("tensorflow")
        level = tf_logger.level
        tf_logger.setLevel(logging.ERROR)
        try:
            setup = self.setup()
            self.progress(f"ready in {setup:.1f} s")
            rows = []
            total = len(approaches)
            for i, approach in enumerate(approaches, start=1):
                tag = f"[{i:>2}/{total}] {approach.title}"
                self.progress(f"{tag}: started{self._planned_epochs(approach)}")
                row = self.run_approach(approach)
                self.progress(f"{tag}: {progress_summary(row)}")
                rows.append(row)
        finally:
            tf_logger.setLevel(level)
        return {
            "lstm_lab": __version__,
            "versions": self.versions(),
            "target": str(self.target),
            "seed": self.seed,
            "quick": self.quick,
            "data": self.describe_data(),
            "threshold": dict(self.threshold),
            "setup_seconds": round(setup, 3),
            "total_seconds": round(time.perf_counter() - started, 3),
            "approaches": rows,
        }

    def _planned_epochs(self, approach: Approach) -> str:
        if approach.pitfall:
            epochs = PITFALL_EPOCHS[self.quick][approach.id]
            return f" ({epochs} epoch{'s' * (epochs != 1)} on purpose)"
        cap = self.cap(approach)
        return f" (at most {cap} epoch{'s' * (cap != 1)})" if cap is not None else ""

    def setup(self) -> float:
        """Import Keras, make the data, and pay the first model's one-off cost up front."""
        start = time.perf_counter()
        import keras

        from .data import echo_split
        from .models import CONVERGED_ACCURACY, CONVERGED_LOSS, set_seed

        self.threshold = {"val_accuracy": CONVERGED_ACCURACY, "val_loss": CONVERGED_LOSS}
        self.data = echo_split(self.seed)
        set_seed(self.seed)
        warm = keras.Sequential([keras.Input((2, 1)), keras.layers.LSTM(2), keras.layers.Dense(1)])
        warm.compile(optimizer="adam", loss="mse")
        warm.train_on_batch(np.zeros((1, 2, 1), np.float32), np.zeros((1, 1), np.float32))
        warm.predict_on_batch(np.zeros((1, 2, 1), np.float32))
        keras.backend.clear_session()
        return time.perf_counter() - start

    def describe_data(self) -> dict[str, Any]:
        X_train, X_val, y_train, y_val = self.data
        return {
            "name": "echo the first bit",
            "train_sequences": int(len(X_train)),
            "val_sequences": int(len(X_val)),
            "length": int(X_train.shape[1]),
            "features": int(X_train.shape[2]),
            "val_ones": int(np.sum(y_val)),
        }

    @staticmethod
    def versions() -> dict[str, str]:
        import keras
        import tensorflow as tf

        return {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
        }


def progress_summary(row: dict) -> str:
    """One line on how an approach ended, for the progress output."""
    if row["status"] == NOT_IMPLEMENTED:
        if row.get("needs"):
            return f"not run: {row['message']}"
        return f"not implemented yet ({row['message']})"
    if row["status"] == ERROR:
        return f"error: {row['message']}"
    from .report import fmt_converged, fmt_number

    final = row["final"]
    if row["group"] == "lifecycle":
        life = row["lifecycle"]
        numbers = (
            f"loss {fmt_number(life['loss'], 'loss')}, "
            f"max error {fmt_number(life['max_error'], 'loss')}"
        )
    else:
        accuracy = fmt_number(final["val_accuracy"])
        numbers = f"val acc {accuracy}, val loss {fmt_number(final['val_loss'], 'loss')}"
        if row["ceiling"] is not None:
            numbers += f" (ceiling {fmt_number(row['ceiling'])})"
    return (
        f"done in {row['seconds']:.1f} s, {row['epochs']} epoch{'s' * (row['epochs'] != 1)}: "
        f"{numbers}; "
        f"converged: {fmt_converged(row)}"
    )


def run_lab(
    target="solutions",
    *,
    seed: int = 0,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
    only: list[str] | None = None,
    reference: str | Path | None = None,
) -> dict[str, Any]:
    """Run the lab against ``target`` and return the results (see ``Lab.run``).

    ``progress`` receives one line of text as each approach starts and ends (``lstm-lab run``
    prints them); by default the run is silent.

    ``only`` restricts the run to the approaches with these ids (for tests and quick looks).

    ``reference`` names the reference solutions whose pieces stand in for the target's in the
    pitfalls (see ``reference_target``: by default ``$LSTM_LAB_REFERENCE``,
    else ``solutions``, if found; ``""`` for none).
    """
    from .target import resolve

    approaches = APPROACHES
    if only is not None:
        unknown = sorted(set(only) - {a.id for a in APPROACHES})
        if unknown:
            raise ValueError(f"only must name approaches of the lab, got unknown {unknown}")
        approaches = tuple(a for a in APPROACHES if a.id in only)
    lab = Lab(target=resolve(target), seed=seed, quick=quick, reference=reference)
    if progress is not None:
        lab.progress = progress
    return lab.run(approaches)


# --------------------------------------------------------------------------------------------
# The command line.
