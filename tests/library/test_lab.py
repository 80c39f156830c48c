"""``lstm-lab run``: the table and results.json from fake results, failures kept to their row,
and (slow) the whole lab end to end against solutions/ and exercises/.

The fast tests train nothing: they build results by hand (``fake_results``), or give the lab a
tiny target whose functions return made-up histories or raise.

The lab has no answers of its own: what a target has not implemented yet, the reference
solutions stand in for where they are at hand (``solutions/``,
``lstm_lab.target.reference_target``), and without them the rows say what they need. Tests
that need ``solutions/`` skip without it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lstm_lab import cli, lab, report, target

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
THRESHOLD = {"val_accuracy": 1.0, "val_loss": 0.05}
#: The environment of ``lstm-lab run``: the reference solutions are found as by default.
ENV = {k: v for k, v in os.environ.items() if k != target.REFERENCE_ENV}
ENV["TF_CPP_MIN_LOG_LEVEL"] = "3"

needs_solutions = pytest.mark.skipif(
    not SOLUTIONS.is_dir(), reason="the reference solutions stay in the instructor's repository"
)

#: What the pitfalls are built from, and how a row without them says so.
PITFALL_PIECES = [
    "ex03_labels.stateful_batches",
    "ex04_stateful.build_stateful_classifier",
    "ex04_stateful.ResetStatesEvery",
]
NEEDS_ALL = (
    "needs ex03_labels.stateful_batches, ex04_stateful.build_stateful_classifier and "
    "ResetStatesEvery first"
)
NEEDS_EX04 = "needs ex04_stateful.build_stateful_classifier and ResetStatesEvery first"
PITFALLS = [a.id for a in lab.APPROACHES if a.pitfall]


# --------------------------------------------------------------------------------------------
# Fake results: every kind of row the report must show, without training.


def fake_history(epochs: int, *, converge_at: int | None = None, ceiling: float = 0.5):
    """Per-epoch curves that reach the threshold at ``converge_at`` (1-based), or never."""
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(1, epochs + 1):
        done = converge_at is not None and epoch >= converge_at
        history["loss"].append(0.7 / epoch)
        history["accuracy"].append(min(1.0, 0.5 + 0.05 * epoch))
        history["val_loss"].append(0.01 if done else 0.69)
        history["val_accuracy"].append(1.0 if done else ceiling)
    return history


def fake_results() -> dict:
    """Results as ``run_lab`` returns them, one row per kind: converged, capped, lifecycle,
    stateless with a ceiling, not implemented, error, pitfall with a NaN loss, pitfall without
    the pieces it is built from."""
    rows = []

    def add(
        approach_id,
        *,
        status="ok",
        message=None,
        history=None,
        seconds=1.0,
        stamps=None,
        needs=None,
    ):
        approach = next(a for a in lab.APPROACHES if a.id == approach_id)
        row = lab.new_row(approach, 20)
        row["status"], row["message"], row["needs"] = status, message, needs
        if history is not None:
            stamps = stamps or []
            lab.fill_training_row(row, history, seconds, stamps, THRESHOLD)
        rows.append(row)
        return row

    life = add("lifecycle")
    life.update(
        history={"loss": [0.3, 0.01, 0.0001]},
        epochs=3,
        seconds=2.5,
        final={"loss": 0.0001, "accuracy": None, "val_loss": None, "val_accuracy": None},
        lifecycle={
            "loss": 0.0001,
            "targets": [0.1 * i for i in range(1, 10)],
            "predictions": [0.1 * i + 0.01 for i in range(1, 10)],
            "max_error": 0.01,
            "tolerance": 0.05,
            "within_tolerance": True,
        },
        converged={"epoch": 3, "seconds": 2.5, "estimated": False},
    )
    w10 = add("stateless_w10", history=fake_history(6, ceiling=0.545))
    w10["ceiling"] = 6 / 11
    add("stateless_whole", status="not implemented", message="NotImplementedError: stub")
    add("per_timestep", history=fake_history(5, converge_at=4), seconds=10.0)
    capped = add("stateful_b1", history=fake_history(3))
    capped.update(epoch_cap=3, default_epochs=150, stopped_at_cap=True)
    capped["notes"].append("stopped at the cap of 3 epochs (--quick; the target's default is 150)")
    add(
        "stateful_b10",
        history=fake_history(4, converge_at=4),
        seconds=2.0,
        stamps=[1.2, 1.4, 1.6, 1.8],
    )
    broken = add(
        "stateful_b90", status="error", message="ValueError: batch_size must divide 90, got <7>"
    )
    broken["traceback"] = 'Traceback (most recent call last):\n  File "ex05_training.py"\n'
    for chunk in (2, 5, 10):
        add(f"tbptt_c{chunk}", history=fake_history(chunk + 2, converge_at=chunk + 2))
    nan_history = fake_history(2)
    nan_history["loss"][1] = math.nan
    add("pitfall_batch_axis", history=nan_history)
    add(
        "pitfall_reset_every_batch",
        status="not implemented",
        message=f"{NEEDS_EX04}: not implemented yet in the target; no reference solution to "
        "stand in",
        needs=PITFALL_PIECES[1:],
    )
    overwrite = add("pitfall_overwritten_labels", history=fake_history(2, ceiling=0.5))
    overwrite["notes"].append("97.5% of the 1800 training labels are 0")
    return {
        "lstm_lab": "0.1.0",
        "versions": {"python": "3.11", "keras": "3.15.1", "tensorflow": "2.21.0"},
        "target": "/somewhere/solutions",
        "seed": 0,
        "quick": True,
        "data": {"train_sequences": 90, "val_sequences": 10, "length": 20, "features": 1},
        "threshold": dict(THRESHOLD),
        "setup_seconds": 3.0,
        "total_seconds": 42.0,
        "approaches": rows,
    }


# --------------------------------------------------------------------------------------------
# The pure logic.


def test_approaches_cover_the_lesson_in_order():
    # Every approach the lesson teaches, once, in teaching order, pitfalls last.
    ids = [a.id for a in lab.APPROACHES]
    assert ids == [
        "lifecycle",
        "stateless_w10",
        "stateless_whole",
        "per_timestep",
        "stateful_b1",
        "stateful_b10",
        "stateful_b90",
        "tbptt_c2",
        "tbptt_c5",
        "tbptt_c10",
        "pitfall_batch_axis",
        "pitfall_reset_every_batch",
        "pitfall_overwritten_labels",
    ]
    assert all(a.what_goes_wrong for a in lab.APPROACHES if a.pitfall), "pitfalls must say why"
    assert set(lab.PITFALL_EPOCHS[True]) == set(lab.PITFALL_EPOCHS[False])
    assert set(lab.PITFALL_EPOCHS[True]) == {a.id for a in lab.APPROACHES if a.pitfall}


def test_reference_target_is_solutions_unless_the_environment_says_otherwise(tmp_path, monkeypatch):
    # One place decides where the reference solutions are: an argument, else
    # $LSTM_LAB_REFERENCE, else solutions/ (none in the student bundle).
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(target.REFERENCE_ENV, raising=False)
    assert target.reference_target() == (SOLUTIONS.resolve() if SOLUTIONS.is_dir() else None)
    monkeypatch.setenv(target.REFERENCE_ENV, str(tmp_path))
    assert target.reference_target() == tmp_path.resolve()
    assert target.reference_target("") is None, "an argument wins over the environment"
    monkeypatch.setenv(target.REFERENCE_ENV, "")
    assert target.reference_target() is None
    monkeypatch.setenv(target.REFERENCE_ENV, str(tmp_path / "nowhere"))
    assert target.reference_target() is None


def write_target(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    for name, source in files.items():
        (root / name).write_text(textwrap.dedent(source))
    return root


def test_pitfalls_without_their_pieces_say_what_they_need(tmp_path):
    # No reference solutions (an empty folder stands for them): the stubs' pieces cannot run,
    # and a pitfall says which it needs before it trains anything.
    from lstm_lab import pitfalls

    nowhere = tmp_path / "no_solutions"
    nowhere.mkdir()
    pieces = pitfalls.Pieces.from_target(REPO / "exercises", nowhere)
    assert pieces.missing == PITFALL_PIECES and pieces.chosen == {}
    error = pieces.error()
    assert isinstance(error, NotImplementedError) and error.needs == PITFALL_PIECES
    assert str(error).startswith(f"{NEEDS_ALL}: not implemented yet in the target"), str(error)
    X = np.zeros((4, 5, 1), np.float32)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(pitfalls.MissingPieces, match=NEEDS_ALL):
        pitfalls.train_resetting_every_batch(X, y, X, y, batch_size=2, epochs=1, pieces=pieces)

    # A target with its own stateful_batches (however wrong) needs only ex04's pieces.
    partial = write_target(
        tmp_path / "partial",
        {"ex03_labels.py": "def stateful_batches(X, y, batch_size, chunk=1):\n    return X, y\n"},
    )
    pieces = pitfalls.Pieces.from_target(partial, "")
    assert pieces.whose == {"ex03_labels.stateful_batches": "target"}
    assert str(pieces.error()) == (
        f"{NEEDS_EX04}: the target has no ex04_stateful.py; no reference solution to stand in"
    )


@needs_solutions
def test_pitfall_pieces_are_the_targets_else_the_reference_solutions(tmp_path):
    from lstm_lab import pitfalls

    pieces = pitfalls.Pieces.from_target(REPO / "exercises", SOLUTIONS)
    assert pieces.missing == [] and pieces.error() is None
    assert set(pieces.whose.values()) == {"reference"}
    assert pieces.notes() == [
        "uses the reference solution's stateful_batches, build_stateful_classifier and "
        "ResetStatesEvery (not implemented yet in the target)"
    ]
    pieces = pitfalls.Pieces.from_target(SOLUTIONS, "")
    assert set(pieces.whose.values()) == {"target"}
    assert pieces.notes() == [
        "uses the target's stateful_batches, build_stateful_classifier and ResetStatesEvery"
    ]
    mixed = write_target(
        tmp_path / "mixed",
        {
            "ex03_labels.py": "def stateful_batches(X, y, batch_size, chunk=1):\n    return X, y\n",
            "ex04_stateful.py": (REPO / "exercises" / "ex04_stateful.py").read_text(),
        },
    )
    pieces = pitfalls.Pieces.from_target(mixed, SOLUTIONS)
    assert pieces.notes() == [
        "uses the target's stateful_batches",
        "uses the reference solution's build_stateful_classifier and ResetStatesEvery "
        "(not implemented yet in the target)",
    ]


def test_converged_epoch_needs_both_accuracy_and_loss():
    # The first epoch (1-based) with val acc >= 1.0 AND val loss <= 0.05; NaN never counts.
    history = {"val_accuracy": [0.5, 1.0, 1.0, 1.0], "val_loss": [0.7, 0.2, None, 0.04]}
    assert lab.converged_epoch(history, 1.0, 0.05) == 4
    assert lab.converged_epoch({"val_accuracy": [1.0], "val_loss": [0.06]}, 1.0, 0.05) is None
    assert lab.converged_epoch({}, 1.0, 0.05) is None


def test_fill_training_row_times_convergence_from_epoch_stamps():
    # With one stamp per epoch the seconds to converge are measured; without, estimated.
    row = lab.new_row(lab.APPROACHES[5], 20)
    lab.fill_training_row(row, fake_history(5, converge_at=2), 5.0, [1, 2, 3, 4, 5], THRESHOLD)
    assert row["converged"] == {"epoch": 2, "seconds": 2.0, "estimated": False}
    assert row["epochs"] == 5 and row["final"]["val_accuracy"] == 1.0

    lab.fill_training_row(row, fake_history(5, converge_at=2), 5.0, [], THRESHOLD)
    assert row["converged"] == {"epoch": 2, "seconds": 2.0, "estimated": True}

    lab.fill_training_row(row, fake_history(4, converge_at=4), 8.0, [], THRESHOLD)
    assert row["converged"] == {"epoch": 4, "seconds": 8.0, "estimated": False}


def test_fill_training_row_rejects_a_history_without_validation():
    row = lab.new_row(lab.APPROACHES[5], 20)
    with pytest.raises(ValueError, match="val_loss, val_accuracy"):
        lab.fill_training_row(row, {"loss": [0.5]}, 1.0, [], THRESHOLD)
    with pytest.raises(TypeError, match="dict of per-epoch lists"):
        lab.fill_training_row(row, None, 1.0, [], THRESHOLD)


def test_missing_parts_are_not_implemented_and_other_failures_are_errors():
    assert lab._not_implemented(NotImplementedError("stub"))
    assert lab._not_implemented(ModuleNotFoundError("no", name="_lstm_lab_target_ab.ex03_labels"))
    assert lab._not_implemented(ModuleNotFoundError("no", name="ex05_training"))
    assert not lab._not_implemented(ModuleNotFoundError("no", name="torch"))
    assert not lab._not_implemented(ValueError("bad"))
    assert lab.describe_exception(ValueError("a\n  b")) == "ValueError: a b"
    assert lab.describe_exception(KeyError()) == "KeyError"


def test_overwrite_bug_writes_one_label_per_sequence_and_leaves_the_rest_zero():
    # The pitfall's labels: out[i] = y[i] for each sequence i, instead of a run of `repeats`.
    from lstm_lab.pitfalls import expand_labels_overwrite

    y = [1, 0, 1, 1]
    assert expand_labels_overwrite(y, 5).tolist() == [1, 0, 1, 1] + [0] * 16
    assert y == [1, 0, 1, 1], "the input is left alone"


def test_table_shows_every_approach_with_its_numbers_or_status():
    results = fake_results()
    table = report.format_table(results)
    lines = table.splitlines()
    for row in results["approaches"]:
        line = next((ln for ln in lines if ln.startswith(row["title"])), None)
        assert line is not None, f"no table line for {row['title']!r}:\n{table}"
    by_title = {
        row["title"]: next(ln for ln in lines if ln.startswith(row["title"]))
        for row in results["approaches"]
    }
    assert "not implemented yet: stub" in by_title["Stateless, whole sequences"]
    assert "error: ValueError: batch_size must divide 90" in by_title["Stateful fit, batch 90"]
    assert "epoch 4, 1.8 s" in by_title["Stateful fit, batch 10"], "measured from epoch stamps"
    assert "never (capped)" in by_title["Stateful fit, batch 1"]
    assert " 3*" in by_title["Stateful fit, batch 1"], "a row stopped at its cap is starred"
    assert "0.545" in by_title["Stateless, windows of 10"], "the ceiling is shown"
    assert "by epoch 3, 2.5 s" in by_title["Life cycle on the ramp"]
    assert "final loss 0.0001" in table, "the life cycle's loss is in the notes"
    assert "97.5% of the 1800 training labels are 0" in table
    needs = by_title["Pitfall: reset every batch"]
    assert f"{NEEDS_EX04}: not implemented yet in the target" in needs, needs
    assert "not implemented yet: needs" not in needs, "said once, as the row's own message"


def test_table_rows_blank_the_numbers_of_rows_that_did_not_run():
    cells = {c["id"]: c for c in report.table_rows(fake_results())}
    assert cells["stateless_whole"]["val_accuracy"] == report.DASH
    assert cells["stateless_whole"]["message"].startswith("not implemented yet")
    assert cells["stateful_b90"]["message"].startswith("error: ValueError")
    assert cells["stateful_b10"]["message"] == ""
    assert cells["pitfall_batch_axis"]["pitfall"] is True
    assert cells["pitfall_reset_every_batch"]["message"].startswith(NEEDS_EX04)
    assert cells["pitfall_reset_every_batch"]["val_accuracy"] == report.DASH


def test_results_json_is_strict_json_without_nan(tmp_path):
    # The lab stores NaN as null: results.json must load with a strict parser.
    results = fake_results()
    path = report.write_results_json(results, tmp_path / "results.json")
    text = path.read_text()
    assert "NaN" not in text
    loaded = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    pitfall = next(r for r in loaded["approaches"] if r["id"] == "pitfall_batch_axis")
    assert pitfall["history"]["loss"][1] is None
    assert [r["id"] for r in loaded["approaches"]] == [a.id for a in lab.APPROACHES]


def test_write_report_writes_json_plots_and_html(tmp_path):
    results = fake_results()
    paths = report.write_report(results, tmp_path / "out")
    assert paths["index"].is_file() and paths["results"].is_file()
    ran = [r["id"] for r in results["approaches"] if r["status"] == "ok"]
    assert sorted(paths["plots"]) == sorted([*ran, "overview"])
    for path in paths["plots"].values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    page = paths["index"].read_text()
    assert "http://" not in page and "https://" not in page, "the page must be self-contained"
    assert page.count("<img ") == len(paths["plots"])
    assert "not implemented yet" in page.lower()
    assert "batch_size must divide 90, got &lt;7&gt;" in page, "messages are escaped"
    assert "<details><summary>traceback</summary>" in page, "an error shows its traceback"
    assert f"<b>Not run yet:</b> {NEEDS_EX04}: not implemented yet in the target" in page
    saved = json.loads(paths["results"].read_text())
    assert saved["approaches"][5]["plot"] == "plots/stateful_b10.png"


def test_run_arguments_and_help_do_not_import_tensorflow():
    # `lstm-lab --help` must stay fast: the run command's module keeps Keras and matplotlib out.
    code = textwrap.dedent(
        """
        import argparse, sys
        from lstm_lab.cli import add_run_arguments
        parser = argparse.ArgumentParser()
        add_run_arguments(parser)
        args = parser.parse_args(["--target", "exercises", "--seed", "3", "--quick"])
        assert (args.target, args.seed, args.quick, args.out) == (
            "exercises", 3, True, "lstm_lab_report"), args
        heavy = [m for m in ("tensorflow", "keras", "matplotlib") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=REPO)


def test_run_command_refuses_a_target_that_is_not_a_directory(tmp_path, capsys):
    args = type(
        "Args",
        (),
        {"target": str(tmp_path / "nowhere"), "out": str(tmp_path), "seed": 0, "quick": True},
    )()
    assert cli.run_command(args) == 2
    assert "nowhere" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Failures stay in their row: a tiny target that trains nothing.

TINY_TARGET = {
    "ex05_training.py": """
        from lstm_lab import TrainResult

        def train_stateless(X_train, y_train, X_val, y_val, *, window, epochs=30, seed=0):
            n = 2  # fewer than the --quick cap: this run stopped by itself
            return TrainResult(model=None, history={
                "loss": [0.7] * n, "accuracy": [0.5] * n,
                "val_loss": [0.69] * n, "val_accuracy": [0.54] * n})

        def train_stateful(X_train, y_train, X_val, y_val, *, batch_size, chunk=1, epochs=150,
                           seed=0):
            if chunk == 1:
                raise ValueError(f"something is wrong with batch_size={batch_size}")
            raise NotImplementedError("train_stateful: not implemented yet")
    """,
    "ex02_windows.py": """
        def stateless_ceiling(seq_len, window):
            raise NotImplementedError
    """,
}


@pytest.fixture
def tiny_target(tmp_path):
    root = tmp_path / "tiny"
    root.mkdir()
    for name, source in TINY_TARGET.items():
        (root / name).write_text(textwrap.dedent(source))
    return root


def test_one_failing_approach_does_not_stop_the_others(tiny_target):
    # A stub, a crash, a missing module and a working function, side by side; no reference
    # solutions to stand in for the stub of stateless_ceiling.
    lines = []
    results = lab.run_lab(
        tiny_target,
        quick=True,
        progress=lines.append,
        only=["lifecycle", "stateless_w10", "per_timestep", "stateful_b10", "tbptt_c2"],
        reference="",
    )
    rows = {r["id"]: r for r in results["approaches"]}
    assert rows["lifecycle"]["status"] == "not implemented", rows["lifecycle"]
    assert "ex01_lifecycle" in rows["lifecycle"]["message"]
    assert rows["per_timestep"]["status"] == "not implemented", "a missing function"
    assert rows["stateful_b10"]["status"] == "error"
    assert rows["stateful_b10"]["message"] == ("ValueError: something is wrong with batch_size=10")
    assert rows["tbptt_c2"]["status"] == "not implemented"
    stateless = rows["stateless_w10"]
    assert stateless["status"] == "ok", stateless
    assert stateless["final"]["val_accuracy"] == 0.54
    assert stateless["converged"]["epoch"] is None
    assert stateless["ceiling"] is None, "the lab has no formula of its own"
    assert any(
        "no ceiling: the target's stateless_ceiling is not implemented yet" in n
        for n in stateless["notes"]
    ), stateless["notes"]
    assert stateless["epoch_cap"] == lab.QUICK_CAPS["stateless_w10"] > 2
    assert stateless["stopped_at_cap"] is False, "2 epochs is below the cap"
    started = [ln for ln in lines if ": started" in ln]
    assert len(started) == 5, lines
    json.dumps(results, allow_nan=False)


@needs_solutions
def test_the_ceiling_is_the_targets_checked_against_the_reference_solutions(tmp_path):
    # The reference solution's stateless_ceiling stands in for a stub, and checks a target's.
    approach = next(a for a in lab.APPROACHES if a.id == "stateless_w10")
    stub = write_target(tmp_path / "stub", {"ex02_windows.py": TINY_TARGET["ex02_windows.py"]})
    row = lab.new_row(approach, 20)
    lab.Lab(target=stub, reference=SOLUTIONS)._ceiling(approach, row, 20)
    assert row["ceiling"] == pytest.approx(6 / 11)
    assert row["notes"] == [
        "ceiling 0.545 from the reference solution: the target's stateless_ceiling is "
        "not implemented yet"
    ]
    wrong = write_target(
        tmp_path / "wrong",
        {"ex02_windows.py": "def stateless_ceiling(seq_len, window):\n    return 0.5\n"},
    )
    row = lab.new_row(approach, 20)
    lab.Lab(target=wrong, reference=SOLUTIONS)._ceiling(approach, row, 20)
    assert row["ceiling"] == 0.5
    assert row["notes"] == [
        "the target's stateless_ceiling(20, 10) gives 0.5; the reference solution's, "
        "(1 + 0.5 (L - w)) / (L - w + 1), gives 0.5455"
    ]


def test_pitfall_rows_without_their_pieces_say_what_they_need(tmp_path):
    # The stubs, and no reference solutions (an empty folder stands for them): the pitfalls do
    # not run, and the table, results.json and the page say what they need first.
    nowhere = tmp_path / "no_solutions"
    nowhere.mkdir()
    lines = []
    results = lab.run_lab(
        "exercises", quick=True, progress=lines.append, only=PITFALLS, reference=nowhere
    )
    rows = results["approaches"]
    assert [r["id"] for r in rows] == PITFALLS
    for row in rows:
        assert row["status"] == "not implemented", row
        assert row["needs"] == PITFALL_PIECES
        assert row["message"] == (
            f"{NEEDS_ALL}: not implemented yet in the target; nor do the reference solutions "
            f"in {nowhere.resolve()}"
        )
        assert row["epochs"] is None and row["history"] == {}, "nothing trained"
    assert sum(f"not run: {NEEDS_ALL}" in line for line in lines) == len(PITFALLS), lines
    table = report.format_table(results)
    for row in rows:
        line = next(ln for ln in table.splitlines() if ln.startswith(row["title"]))
        assert NEEDS_ALL in line, line
    paths = report.write_report(results, tmp_path / "report")
    saved = json.loads(paths["results"].read_text())
    assert [r["needs"] for r in saved["approaches"]] == [PITFALL_PIECES] * len(PITFALLS)
    page = paths["index"].read_text()
    assert page.count(f"<b>Not run yet:</b> {NEEDS_ALL}") == len(PITFALLS)


# --------------------------------------------------------------------------------------------
# End to end (slow: these train).


def run_cli(*args, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "run", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.needs_stateful("carry", "backprop")  # every approach converges
def test_quick_run_against_solutions_reports_every_approach(tmp_path):
    out = tmp_path / "report"
    done = run_cli("--quick", "--target", "solutions", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert [r["id"] for r in results["approaches"]] == [a.id for a in lab.APPROACHES]
    for row in results["approaches"]:
        assert row["status"] == "ok", f"{row['id']}: {row['message']}"
        assert row["epochs"] >= 1 and row["seconds"] > 0, row["id"]
        if row["group"] == "lifecycle":
            assert isinstance(row["lifecycle"]["loss"], float)
            continue
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert isinstance(row["final"][key], float), (row["id"], key)
        assert len(row["history"]["val_accuracy"]) == row["epochs"]
        assert (out / row["plot"]).is_file()
    rows = {r["id"]: r for r in results["approaches"]}
    assert rows["stateless_w10"]["ceiling"] == pytest.approx(6 / 11)
    assert rows["stateful_b10"]["converged"]["epoch"] is not None, "batch 10 converges quickly"
    overwrite = rows["pitfall_overwritten_labels"]
    assert overwrite["pitfall_facts"]["labels_zero_share"] > 0.9
    assert overwrite["final"]["val_accuracy"] <= 0.7, "the overwrite bug must not solve the task"
    for title in (r["title"] for r in results["approaches"]):
        assert title in done.stdout, f"{title} missing from the terminal output"
    assert (out / "index.html").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "reference",
    [
        # with the reference's pieces, the pitfalls train stateful models
        pytest.param(
            None,
            marks=[needs_solutions, pytest.mark.needs_stateful("carry", "backprop")],
            id="solutions",
        ),
        pytest.param("", id="none"),
    ],
)
def test_quick_run_against_exercises_says_not_implemented(tmp_path, reference):
    # The stubs: every lesson row says "not implemented yet", the run goes on and exits 0. The
    # pitfalls are the lab's own (wrong) code, built from the target's pieces: with solutions/
    # at hand they run on the reference solution's; without ($LSTM_LAB_REFERENCE empty, as in
    # the student bundle, which has no solutions/) they say what they need first.
    out = tmp_path / "report"
    env = ENV if reference is None else {**ENV, target.REFERENCE_ENV: reference}
    done = subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "run", "--quick", "--target", "exercises"]
        + ["--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert len(results["approaches"]) == len(lab.APPROACHES)
    page = (out / "index.html").read_text()
    for row in results["approaches"]:
        if row["pitfall"] and reference is None:
            assert row["status"] == "ok", f"{row['id']}: {row['message']}"
            assert (
                "uses the reference solution's stateful_batches, build_stateful_classifier "
                "and ResetStatesEvery (not implemented yet in the target)" in row["notes"]
            )
            assert not any("the lab's own" in note for note in row["notes"]), row["notes"]
        elif row["pitfall"]:
            assert row["status"] == "not implemented", f"{row['id']}: {row['message']}"
            assert row["needs"] == PITFALL_PIECES
            assert row["message"].startswith(f"{NEEDS_ALL}: not implemented yet in the target")
            assert "no reference solution to stand in" in row["message"]
        else:
            assert row["status"] == "not implemented", f"{row['id']}: {row['message']}"
            assert "not implemented yet" in row["message"]
    assert done.stdout.count("not implemented yet") >= 10
    assert "not implemented yet" in page
    if reference == "":
        assert done.stdout.count(NEEDS_ALL) >= 2 * len(PITFALLS), "progress lines and table"
        assert page.count(f"<b>Not run yet:</b> {NEEDS_ALL}") == len(PITFALLS)


@pytest.mark.slow
def test_same_seed_gives_the_same_numbers():
    def numbers(seed):
        results = lab.run_lab(
            "solutions",
            seed=seed,
            quick=True,
            progress=lambda _: None,
            only=["stateful_b10", "pitfall_reset_every_batch"],
        )
        return [(r["id"], r["history"], r["converged"]["epoch"]) for r in results["approaches"]]

    first = numbers(3)
    assert numbers(3) == first
