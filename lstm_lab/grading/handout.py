"""``HANDOUT.md``, the assignment as students get it in the bundle, and the figures the bundle's
README quotes.

The words are ours (``EXERCISES``: what each function must do, per exercise); the signatures are
read from ``exercises/`` (what the student fills in); the points are read from the suite itself:
``points(tests)`` collects ``tests/rubric`` and ``tests/hidden`` in a subprocess and reads every
``@pytest.mark.exercise(module, points=N)`` the way the grading plugin does (a mark on a test
function shares its points among its cases; a mark on a case is that case's own), so the
handout's figures cannot drift from the grade's.

A check belongs to the contract function whose name its test's name (or its case's id) holds,
the longest such name first (``test_train_stateful_converges`` is ``train_stateful``'s);
``ALIASES`` names the rest (``test_reset_callback_...`` checks ``ResetStatesEvery``). A check
that names no function counts for its exercise as a whole.

    python -m lstm_lab.grading.handout TESTS     the checks of TESTS as JSON (what points() reads)
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..target import MODULES

#: Words in a test's name that stand for a contract function whose name they do not hold.
ALIASES = {"reset_callback": "ResetStatesEvery"}

#: Rules that hold for every function (the shared conventions), in our words.
CONVENTIONS = """\
- **Arrays.** Inputs and outputs are NumPy arrays. A batch of sequences `X` has shape `(n, L)` or
  `(n, L, f)`: `n` sequences of `L` timesteps with `f` features each; a 2-D `X` means one
  feature (`f = 1`). Whatever you hand to Keras as input is `float32` and 3-D,
  `(samples, timesteps, features)`, whatever the rank and dtype of what you were given.
- **Bad input.** A wrong rank, a size that is 0 or negative, sizes that do not divide, NaN, or
  lengths that disagree (`len(y)` longer *or* shorter than `n`) raise `ValueError` (or a
  subclass of it), and the message names the argument at fault and the rule it broke (for example
  `ValueError("window must be between 1 and L = 20, got 0")`). A `ValueError` that Python or
  NumPy raises by accident (unpacking `n, L, f = X.shape` of a 1-D `X`) does not name the
  argument, and the tests do not count it.
- **Inputs are read, never written.** No function changes the arrays it was given; work on a
  copy. The point for this is given only when the answer for that input is also right.
- **Seeds.** Randomness comes only from the `seed` argument: the same seed, the same result;
  another seed, another draw.
- **Targets.** Modules import their siblings relatively (`from .ex03_labels import
  stateful_batches`). A module that is missing, or a function that still raises
  `NotImplementedError`, costs the points of what is missing, and the grade says which.
"""


@dataclass(frozen=True)
class Function:
    name: str
    rules: str


@dataclass(frozen=True)
class Exercise:
    module: str
    title: str
    story: str
    functions: tuple[Function, ...]


EXERCISES = (
    Exercise(
        "ex01_lifecycle",
        "The Keras life cycle, and a series as supervised data",
        "Define, compile, fit, evaluate, predict: the five steps, on the ramp "
        "`0.0, 0.1, ..., 0.9`, where each value is predicted from the ones before it.",
        (
            Function(
                "to_supervised",
                "Turns a 1-D `series` into pairs *(the last `lag` values, the next value)*: row "
                "`i` of `X` holds `series[i], ..., series[i + lag - 1]` and `y[i]` is "
                "`series[i + lag]`. There are `len(series) - lag` rows (the first `lag` values "
                "have no full past). `X` is `float32` of shape `(len - lag, lag, 1)`, `y` of "
                "shape `(len - lag,)`. This is the pandas `shift`/`concat`/`dropna` framing for "
                "any `lag`. `ValueError` for a `series` that is not 1-D or holds NaN, and for "
                "`lag < 1` or `lag >= len(series)`.",
            ),
            Function(
                "build_regressor",
                "Step 1, *define*: a model that starts with `keras.Input((timesteps, "
                "features))`, then one `LSTM(units)` and one `Dense(1)` (linear). Return it "
                "uncompiled: compiling is step 2. `ValueError` for a size below 1.",
            ),
            Function(
                "run_lifecycle",
                "All five steps on `series`: frame it with `to_supervised(series, lag)`, build "
                'the regressor, compile it with `optimizer` (a name such as `"adam"` or an '
                "optimizer object such as `SGD(learning_rate=0.1, momentum=0.3)`) and mean "
                "squared error, fit it, evaluate it, predict. Return a `lstm_lab.Lifecycle` "
                "with `model`, `history` (the dict of per-epoch lists `fit` returns), `loss` "
                "(a float, from `evaluate`) and `predictions` (shape `(len - lag,)`). On the "
                "ramp, with the defaults, every prediction must end within 0.05 of its target. "
                "Seed everything from `seed`.",
            ),
            Function(
                "probabilities_to_classes",
                "What the removed `Sequential.predict_classes` did. One column (shape `(n,)` or "
                "`(n, 1)`, a sigmoid's output): class 1 where `p > 0.5`, else 0 (so 0.5 is "
                "class 0). Several columns (`(n, k)`, `k > 1`, a softmax's output): the index "
                "of the largest. Always an `int` array of shape `(n,)`. `ValueError` for any "
                "other rank, NaN, or a value outside `[0, 1]`.",
            ),
        ),
    ),
    Exercise(
        "ex02_windows",
        "The stateless attempt: sliding windows",
        "The echo task: a label is the first bit of its sequence. A stateless LSTM sees one "
        "window at a time, and only the window that starts at timestep 0 sees that bit.",
        (
            Function(
                "sliding_windows",
                "Cuts every window of `window` consecutive timesteps out of every sequence: "
                "`L - window + 1` windows per sequence, all of them, the last one ending on the "
                "last timestep. `Xw` is `float32` of shape `(n * (L - window + 1), window, f)`, "
                "in order of sequence, then of start; `yw[j]` is the label of the sequence "
                "window `j` was cut from. `ValueError` when `X` is not 2-D or 3-D, when "
                "`window < 1` or `window > L`, or when `len(y) != n`.",
            ),
            Function(
                "window_dataset",
                "Splits the *sequences* into training and validation (a stratified split on "
                "`y`: both sides keep the labels' proportions; `val_fraction` is a fraction of "
                "the sequences), and only then windows each side with `sliding_windows`. Every "
                "sequence's windows land on one side: windows of one sequence overlap, so a "
                "split of the windows would show the validation sequences to training. Returns "
                "`(Xw_train, Xw_val, yw_train, yw_val)`; the same `seed` gives the same split.",
            ),
            Function(
                "stateless_ceiling",
                "The best accuracy any stateless model can reach on windows of balanced echo "
                "data with sequences of length `seq_len`: one window in `L - w + 1` sees the "
                "bit and the others can only guess, right half the time, so "
                "`(1 + 0.5 * (L - w)) / (L - w + 1)`, and `1.0` when `w == L`. A float. "
                "`ValueError` for `seq_len < 1`, `window < 1` or `window > seq_len`.",
            ),
        ),
    ),
    Exercise(
        "ex03_labels",
        "Labels per timestep, and the layout of a stateful layer",
        "A stateful layer carries its state from one batch to the next, slot by slot: the data "
        "must be laid out so that slot `b` of every batch continues the same sequence.",
        (
            Function(
                "expand_labels",
                "Each label of the 1-D `y` repeated `repeats` times in a row "
                "(`[y0, y0, ..., y1, y1, ...]`, shape `(n * repeats,)`): the labels of "
                "sequences fed one timestep at a time, one sequence after the other. "
                "`ValueError` for a `y` that is not 1-D and for `repeats < 1`.",
            ),
            Function(
                "stateful_batches",
                "Takes the sequences in groups of `batch_size` and cuts each into `L // chunk` "
                "chunks of `chunk` timesteps. Batch `c` of a group holds chunk `c` of each "
                "sequence of the group, and slot `b` is always the same sequence. `Xs` is "
                "`float32` of shape `(n * L // chunk, chunk, f)` in the order (group, chunk, "
                "slot), so that each run of `batch_size` rows is one batch of "
                "`fit(shuffle=False, batch_size=batch_size)`; `ys` holds the label of each "
                "row's sequence. With `batch_size = chunk = 1` this is every timestep of "
                "sequence 0, then of sequence 1, ... `ValueError` when `n % batch_size` or "
                "`L % chunk` is not 0, for sizes below 1, a bad rank, or `len(y) != n`.",
            ),
        ),
    ),
    Exercise(
        "ex04_stateful",
        "State and its resets (Keras 3)",
        "Keras 3 dropped `Model.reset_states` and `batch_input_shape=`: a stateful model is "
        "built from a fixed batch shape and its states are reset layer by layer.",
        (
            Function(
                "build_stateful_classifier",
                "`keras.Input(batch_shape=(batch_size, chunk, features))`, then "
                '`LSTM(units, stateful=True)` and `Dense(1, activation="sigmoid")`, compiled '
                "with Adam at `learning_rate`, binary cross-entropy and accuracy. Its state "
                "carries over from one batch to the next. `ValueError` for a size below 1.",
            ),
            Function(
                "reset_states",
                "Resets every stateful layer of `model` to zeros, wherever it sits (any kind of "
                "recurrent layer, nested models included), and returns how many layers it "
                "reset.",
            ),
            Function(
                "ResetStatesEvery",
                "A `keras.callbacks.Callback` built with `batches`: before every batch whose "
                "index is a multiple of `batches` it resets the model's states, in `fit`, "
                "`evaluate` and `predict` alike, so that every group of sequences starts from "
                "zeros. Fed the `stateful_batches` layout, the output at the end of each "
                "sequence is then the output of a stateless pass over the whole sequence. "
                "`ValueError` for `batches < 1`.",
            ),
        ),
    ),
    Exercise(
        "ex05_training",
        "Training to convergence",
        "Each trainer returns a `lstm_lab.TrainResult` with `model` and `history`: per-epoch "
        "lists under `loss`, `accuracy`, `val_loss` and `val_accuracy`. Validation is on whole "
        "validation sequences (the output after each one's last timestep, from a zero state), "
        "except for the stateless trainer, whose model only ever sees windows. Seed "
        "everything from `seed`. Bad input (a size below 1, labels that do not match their "
        "sequences, validation sequences of another length than the training ones) raises "
        "`ValueError`, naming the argument, before anything trains.",
        (
            Function(
                "train_stateless",
                "A stateless LSTM trained on the training windows and validated on the "
                "validation windows (never trained on them). With `window == L` it solves the "
                "task; with a shorter window its validation accuracy cannot beat "
                "`stateless_ceiling(L, window)` beyond noise.",
            ),
            Function(
                "train_stateful",
                "`stateful_batches` for the layout, `build_stateful_classifier`, "
                "`ResetStatesEvery(L // chunk)` and `fit(shuffle=False)`. With `chunk = 1` the "
                "model sees one timestep per batch; with `chunk > 1` this is truncated "
                "backpropagation through time. On the echo data (100 sequences of length 20, "
                "split 90/10) it reaches validation accuracy 1.0 with validation loss at most "
                "0.05 within its default `epochs`, for `chunk` in {1, 2, 5, 10} and "
                "`batch_size` in {10, 90}.",
            ),
            Function(
                "train_per_timestep",
                "The classic explicit loop: `train_on_batch` on one timestep of one sequence at "
                "a time (batch size 1), the states reset after every sequence. Slow by nature, "
                "it still reaches validation accuracy 1.0 on the echo data within its default "
                "`epochs`.",
            ),
        ),
    ),
)


def contract_functions() -> dict[str, tuple[str, ...]]:
    """``{module: (function, ...)}`` as the handout describes them."""
    return {e.module: tuple(f.name for f in e.functions) for e in EXERCISES}


# -- signatures ------------------------------------------------------------------------------------
def signatures(folder: Path) -> dict[str, str]:
    """``{name: "name(args)"}`` of every public function and class of the exercise modules in
    ``folder``, as written there (a class shows its ``__init__``)."""
    found = {}
    for module in MODULES:
        path = Path(folder) / f"{module}.py"
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text()).body:
            if getattr(node, "name", "_").startswith("_"):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[node.name] = f"{node.name}({ast.unparse(node.args)})"
            elif isinstance(node, ast.ClassDef):
                init = next(
                    (
                        n
                        for n in node.body
                        if isinstance(n, ast.FunctionDef) and n.name == "__init__"
                    ),
                    None,
                )
                args = "" if init is None else ast.unparse(init.args)
                args = re.sub(r"^self,?\s*", "", args)
                found[node.name] = f"{node.name}({args})"
    return found


# -- points ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One graded check of the suite: what the plugin counts as one row of the table."""

    module: str
    name: str
    points: float
    hidden: bool


def points(tests: Path, timeout: float = 300) -> list[Check]:
    """The graded checks of the suite at ``tests`` (its rubric and its hidden tests).

    Collected in a subprocess (``--collect-only``: nothing runs, no target is needed), so that
    a caller inside pytest is not disturbed.
    """
    tests = Path(tests).resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LSTM_LAB_", "PYTEST_"))}
    package = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package, env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lab.grading.handout", str(tests)],
        cwd=tests.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"collecting the suite at {tests} failed (exit {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return [Check(**row) for row in json.loads(lines[-1])["checks"]]


def _collect(tests: Path) -> dict:
    """In the subprocess: collect the suite and read its marks as the plugin does."""
    import pytest

    from . import plugin, suite

    checks: dict[str, dict] = {}
    errors: list[str] = []

    class Reader:
        def pytest_collection_modifyitems(self, items):
            for item in items:
                found = plugin._exercise_of(item)
                if found is None:
                    continue
                key = plugin._check_key(item)
                name = item.name if plugin._case_marked(item) else item.name.split("[", 1)[0]
                checks.setdefault(
                    key,
                    {
                        "module": found[0],
                        "name": name,
                        "points": found[1],
                        "hidden": item.get_closest_marker("grader") is not None,
                    },
                )

        def pytest_collectreport(self, report):
            if report.failed:
                errors.append(report.nodeid)

    paths = [str(p) for p in suite.graded_paths(tests, tests / suite.HIDDEN)]
    paths = [p for p in paths if Path(p).is_dir()]
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *paths]
    if "lstm_lab.grading.plugin" not in sys.modules:
        args[0:0] = ["-p", "lstm_lab.grading.plugin"]
    code = pytest.main(args, plugins=[Reader()])
    if errors or code not in (0, 5):
        raise SystemExit(f"collection failed (exit {int(code)}): {errors}")
    return {"checks": list(checks.values())}


def function_of(check: Check, functions) -> str | None:
    """The contract function a check belongs to, or ``None`` (the exercise as a whole)."""
    words = check.name
    for alias, name in ALIASES.items():
        if alias in words and name in functions:
            return name
    for name in sorted(functions, key=len, reverse=True):
        if re.search(rf"(^|[_\[\-]){re.escape(name)}($|[_\]\-])", words):
            return name
    return None


@dataclass
class Points:
    visible: float = 0.0
    hidden: float = 0.0

    @property
    def total(self) -> float:
        return round(self.visible + self.hidden, 2)

    def add(self, check: Check) -> None:
        if check.hidden:
            self.hidden = round(self.hidden + check.points, 2)
        else:
            self.visible = round(self.visible + check.points, 2)


def tally(checks: list[Check]) -> dict[str, dict[str | None, Points]]:
    """``{module: {function or None: Points}}``, modules and functions in the contract's order."""
    table: dict[str, dict[str | None, Points]] = {}
    contract = contract_functions()
    for module in MODULES:
        table[module] = {name: Points() for name in contract.get(module, ())}
    for check in checks:
        row = table.setdefault(check.module, {})
        key = function_of(check, row)
        row.setdefault(key, Points()).add(check)
    return table


def totals(checks: list[Check]) -> Points:
    """The suite's visible and hidden points."""
    found = Points()
    for check in checks:
        found.add(check)
    return found


# -- the handout -----------------------------------------------------------------------------------
def _num(value: float) -> str:
    return f"{value:g}"


def _points(p: Points) -> str:
    if not p.hidden:
        return f"{_num(p.visible)} points"
    return f"{_num(p.total)} points ({_num(p.visible)} visible + {_num(p.hidden)} hidden)"


def render(checks: list[Check], signatures_of: dict[str, str], limits: str = "") -> str:
    """The text of ``HANDOUT.md``."""
    table = tally(checks)
    total = totals(checks)
    lines = [
        "# lstm_lab — the assignment",
        "",
        "Five exercises on recurrent networks in Keras 3: the five-step life cycle on a tiny "
        "series; why a stateless LSTM on sliding windows cannot echo the first bit of a "
        "sequence; the layout a stateful LSTM needs and the resets that keep sequences apart; "
        "and truncated backpropagation through time. You fill in the functions of "
        "`exercises/`; keep their names and signatures: the grader calls them by name.",
        "",
        f"The grade has **{_num(total.total)} points**: {_num(total.visible)} from the visible "
        f"tests you run with `lstm-lab grade exercises`, and {_num(total.hidden)} from hidden "
        "tests that only the grade after submission runs. Each function below shows its points "
        "(a hidden point checks the same rules, on more inputs).",
        "",
        "| exercise | visible | hidden | total |",
        "|---|---:|---:|---:|",
    ]
    for module, rows in table.items():
        p = Points()
        for row in rows.values():
            p.visible, p.hidden = round(p.visible + row.visible, 2), round(p.hidden + row.hidden, 2)
        lines.append(f"| `{module}` | {_num(p.visible)} | {_num(p.hidden)} | {_num(p.total)} |")
    lines += [
        f"| **all** | **{_num(total.visible)}** | **{_num(total.hidden)}** | "
        f"**{_num(total.total)}** |",
        "",
        "## What every function must do",
        "",
        CONVENTIONS,
    ]
    if limits:
        lines += ["## Time", "", limits, ""]
    for number, exercise in enumerate(EXERCISES, 1):
        rows = table.get(exercise.module, {})
        p = Points()
        for row in rows.values():
            p.visible, p.hidden = round(p.visible + row.visible, 2), round(p.hidden + row.hidden, 2)
        lines += [
            f"## Exercise {number}: {exercise.title} — `{exercise.module}.py`, {_points(p)}",
            "",
            exercise.story,
            "",
        ]
        for function in exercise.functions:
            signature = signatures_of.get(function.name, f"{function.name}(...)")
            got = rows.get(function.name, Points())
            lines += [f"### `{signature}` — {_points(got)}", "", function.rules, ""]
        if rows.get(None) is not None and rows[None].total:
            lines += [f"Checks of the exercise as a whole: {_points(rows[None])}.", ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - run by points()
    print(json.dumps(_collect(Path(sys.argv[1]))))
