"""``lstm-lab release`` and ``lstm-lab gradescope``: what leaves the repository, and that it runs.

The Gradescope zip is unpacked into a temporary root that mimics /autograder (``source/``,
``submission/``, ``results/``) and its ``run_autograder`` is run there, as Gradescope would.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from engine_support import ROOT, assemble, clean_env

from lstm_lab.grading import bundle, commands, handout, settings


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "lstm_lab_student"
    bundle.release(out)
    return out


def test_the_bundle_holds_what_students_need(student_bundle):
    names = {p.name for p in student_bundle.iterdir()}
    assert {"lstm_lab", "exercises", "tests", "README.md", "HANDOUT.md", "pyproject.toml"} <= names
    assert (student_bundle / "tests" / "conftest.py").is_file()
    assert list((student_bundle / "tests" / "rubric").glob("test_ex0*.py"))
    assert "lstm-lab grade exercises" in (student_bundle / "README.md").read_text()


def test_the_bundle_holds_no_solutions_and_no_hidden_tests(student_bundle):
    assert not (student_bundle / "solutions").exists()
    assert not (student_bundle / "tests" / "hidden").exists()
    assert not (student_bundle / "tests" / "engine").exists()  # hostile overlays of the solutions
    assert not (student_bundle / "tests" / "mutants").exists()  # variants: correct answers
    assert not (student_bundle / "tests" / "library").exists()
    assert [p.name for p in (student_bundle / "tests").iterdir() if p.is_dir()] == ["rubric"]
    assert bundle.leaked_paths(student_bundle) == []
    assert not list(student_bundle.rglob("__pycache__"))
    assert bundle.leaked_code(student_bundle, ROOT) == []


def contract_names() -> set[str]:
    """The exercise functions and classes of the contract: the public names of solutions/."""
    names = set()
    for path in (ROOT / "solutions").glob("ex*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not node.name.startswith("_"):
                    names.add(node.name)
    return names


ASSIGNMENT = ROOT.parent / "shared" / "ASSIGNMENT.md"


def assignment_names() -> set[str]:
    """The functions and classes the contract (``../shared/ASSIGNMENT.md``) lists."""
    if not ASSIGNMENT.is_file():
        return set()
    return set(re.findall(r"^- `([A-Za-z_]\w*)\(", ASSIGNMENT.read_text(), flags=re.M))


@pytest.fixture(scope="module")
def suite_checks():
    return handout.points(ROOT / "tests")


def test_the_handout_gives_every_contract_function_its_signature_and_points(
    student_bundle, suite_checks
):
    text = (student_bundle / "HANDOUT.md").read_text()
    names = contract_names()
    if ASSIGNMENT.is_file():
        assert assignment_names() == names, "ASSIGNMENT.md and solutions/ disagree"
    assert set(handout.contract_functions()["ex04_stateful"]) >= {"ResetStatesEvery"}
    assert {f for fs in handout.contract_functions().values() for f in fs} == names
    table = handout.tally(suite_checks)
    signatures = handout.signatures(ROOT / "solutions")
    for module, rows in table.items():
        for name, points in rows.items():
            assert name is not None, (
                f"{module} has checks whose names hold no contract function: name the function "
                "in the test's name (test_<function>_...) or add an alias to handout.ALIASES"
            )
            assert points.total > 0, f"{module}.{name} has no graded check"
            heading = re.search(rf"^### `{re.escape(signatures[name])}` — (.+)$", text, re.M)
            assert heading, f"HANDOUT.md has no heading for {signatures[name]}"
            assert heading.group(1).startswith(f"{points.total:g} points"), heading.group(0)
            if points.hidden:
                assert f"{points.hidden:g} hidden" in heading.group(1), heading.group(0)
    assert "../shared" not in text and "solutions/" not in text


def test_the_handouts_points_add_up_to_the_suites(student_bundle, suite_checks):
    text = (student_bundle / "HANDOUT.md").read_text()
    total = handout.totals(suite_checks)
    visible = sum(c.points for c in suite_checks if not c.hidden)
    hidden = sum(c.points for c in suite_checks if c.hidden)
    assert (total.visible, total.hidden) == (round(visible, 2), round(hidden, 2))
    assert hidden > 0 and visible > 0
    assert f"The grade has **{total.total:g} points**" in text
    for module, rows in handout.tally(suite_checks).items():
        mine = [c.points for c in suite_checks if c.module == module]
        assert round(sum(p.total for p in rows.values()), 2) == round(sum(mine), 2), module
        row = re.search(rf"^\| `{module}` \| (\S+) \| (\S+) \| (\S+) \|$", text, re.M)
        assert row and float(row.group(3)) == round(sum(mine), 2), module
    # The collection counts what the plugin counts: one check per marked case, else per test.
    ids = {(c.module, c.name) for c in suite_checks}
    assert len(ids) == len(suite_checks)
    assert ("ex02_windows", "test_sliding_windows_rejects_bad_input") in ids
    assert ("ex01_lifecycle", "test_function_leaves_its_input_alone[to_supervised]") in ids


def test_the_readme_points_to_the_handout_and_states_points_and_limits(
    student_bundle, suite_checks
):
    text = (student_bundle / "README.md").read_text()
    assert "HANDOUT.md" in text and "../shared" not in text and "ASSIGNMENT" not in text
    assert "pip install -e ." in text and "[test]" not in text
    total = handout.totals(suite_checks)
    assert f"counts **{total.visible:g} points**" in text
    assert f"counts **{total.total:g} points**" in text
    assert f"{total.hidden:g} more from hidden" in text
    limits = bundle.submitted_limits()
    assert f"the whole grade: {limits['time_limit']:g} s" in text
    assert f"any one call: {limits['call_timeout']:g} s" in text
    for module, seconds in commands.EXERCISE_TIME_LIMITS.items():
        assert f"{module}: {seconds:g} s" in text, module
    assert bundle.limits_command() in text
    assert bundle.local_limits(settings.Settings()) in text
    handout_text = (student_bundle / "HANDOUT.md").read_text()
    assert f"after {limits['time_limit']:g} s in all" in handout_text


def test_the_local_limits_are_worded_from_the_settings():
    chosen = settings.Settings()
    assert bundle.local_limits(chosen.replace(time_limit=None, exercise_time_limit=())) == (
        f"has no limit on the whole grade and lets most single calls take {chosen.call_timeout:g} s"
    )
    words = bundle.local_limits(
        chosen.replace(time_limit=600, exercise_time_limit=("ex05_training=300",))
    )
    assert words.startswith("stops after 600 s in all, limits each exercise (ex05_training=300)")


def test_the_limits_command_parses_as_the_submitted_grades_options():
    # The command the README gives is a grade with the autograder's own limits.
    from lstm_lab.cli import build_parser

    args = build_parser().parse_args(bundle.limits_command().split()[1:])
    chosen = settings.Settings().replace(**settings.given(args))
    limits = bundle.submitted_limits()
    assert chosen.time_limit == limits["time_limit"]
    assert chosen.call_timeout_max == limits["call_timeout"]
    assert sorted(chosen.exercise_time_limit) == sorted(
        f"{m}={s:g}" for m, s in limits["exercise"].items()
    )
    zipped = build_parser().parse_args(["gradescope", "x.zip"])
    assert (zipped.time_limit, zipped.call_timeout) == (
        limits["time_limit"],
        limits["call_timeout"],
    )


def test_release_refuses_a_suite_whose_points_cannot_be_read(tmp_path):
    # A test file that does not import would leave the handout's points short: no bundle.
    root = tmp_path / "project"
    for folder in ("lstm_lab", "exercises"):
        (root / folder).mkdir(parents=True)
    shutil.copytree(ROOT / "tests" / "rubric", root / "tests" / "rubric")
    shutil.copy2(ROOT / "tests" / "conftest.py", root / "tests" / "conftest.py")
    (root / "tests" / "rubric" / "test_broken.py").write_text("def test_x(:\n    pass\n")
    with pytest.raises(bundle.BundleError, match="points could not be read"):
        bundle.release(tmp_path / "out", root=root)
    assert not (tmp_path / "out").exists()


def test_a_check_belongs_to_the_function_its_name_holds():
    functions = handout.contract_functions()["ex05_training"]
    check = handout.Check("ex05_training", "test_train_stateful_converges", 1, False)
    assert handout.function_of(check, functions) == "train_stateful"
    check = handout.Check("ex04_stateful", "test_reset_callback_x", 1, False)
    assert handout.function_of(check, handout.contract_functions()["ex04_stateful"]) == (
        "ResetStatesEvery"
    )
    check = handout.Check(
        "ex03_labels", "test_function_leaves_its_input_alone[expand_labels]", 1, 0
    )
    assert handout.function_of(check, ("expand_labels", "stateful_batches")) == "expand_labels"
    assert handout.function_of(check, ("stateful_batches",)) is None


def test_lstm_lab_run_defaults_to_the_students_exercises_in_the_bundle(student_bundle):
    from lstm_lab.cli import build_parser

    assert build_parser().parse_args(["run"]).target == "solutions"  # the repository
    proc = subprocess.run(
        [sys.executable, "-c", "from lstm_lab.cli import build_parser; "
         "print(build_parser().parse_args(['run']).target)"],
        cwd=student_bundle, env=clean_env(PYTHONPATH=student_bundle),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "exercises"


def test_the_bundles_lstm_lab_defines_no_answers(student_bundle):
    # The package students get must not hold working versions of the exercises under another
    # name (the lab's former stand-ins lab_build_stateful_classifier and lab_reset_states).
    names = contract_names()
    assert {"build_stateful_classifier", "reset_states", "stateful_batches"} <= names
    found = []
    for path in sorted((student_bundle / "lstm_lab").rglob("*.py")):
        rel = path.relative_to(student_bundle)
        text = path.read_text()
        found += [f"{rel}: {w}" for w in ("lab_build_stateful", "lab_reset_states") if w in text]
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bare = node.name.lstrip("_")
                found += [
                    f"{rel}:{node.lineno}: {node.name} (like {name})"
                    for name in names
                    if bare == name or bare.endswith("_" + name)
                ]
    assert found == []


def test_the_bundles_lab_runs_no_pitfall_without_the_students_pieces(student_bundle, tmp_path):
    # `lstm-lab run --quick` in the bundle, on the stubs: with no solutions/ to stand in, the
    # pitfalls need the student's ex03/ex04 pieces first, and nothing trains (a few seconds).
    out = tmp_path / "report"
    env = clean_env(PYTHONPATH=student_bundle)  # no $LSTM_LAB_REFERENCE: the default lookup
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "run", "--quick", "--target", "exercises"]
        + ["--out", str(out)],
        cwd=student_bundle,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert results["target"] == str((student_bundle / "exercises").resolve())
    needs = "needs ex03_labels.stateful_batches, ex04_stateful.build_stateful_classifier and "
    pitfalls = [row for row in results["approaches"] if row["pitfall"]]
    assert len(pitfalls) == 3
    for row in pitfalls:
        assert row["status"] == "not implemented" and row["epochs"] is None, row
        assert "ex04_stateful.build_stateful_classifier" in row["needs"], row
        assert row["message"].startswith(needs), row["message"]
        assert "no reference solution to stand in" in row["message"]
    assert sum(needs in line for line in proc.stdout.splitlines()) >= 2 * len(pitfalls)
    assert (out / "index.html").read_text().count(f"<b>Not run yet:</b> {needs}") == 3
    for row in results["approaches"]:
        assert row["status"] == "not implemented", f"{row['id']}: {row['message']}"
        assert row["ceiling"] is None, "no stateless_ceiling of the lab's own stands in"


def test_the_leak_scan_finds_solution_code(tmp_path):
    copy = tmp_path / "bundle" / "lstm_lab"
    copy.mkdir(parents=True)
    shutil.copy2(ROOT / "solutions" / "ex03_labels.py", copy / "helpers.py")
    found = bundle.leaked_code(tmp_path / "bundle", ROOT)
    assert "lstm_lab/helpers.py: ex03_labels.stateful_batches" in found


def test_the_visible_tests_run_in_the_bundle(student_bundle, suite_checks):
    # With the bundle's own lstm_lab: the stubs are graded, every check "not implemented yet".
    code, output = bundle.check_bundle(
        student_bundle, args=("--exercise", "ex02_windows", "--exercise", "ex03_labels")
    )
    assert code == 1, output
    assert "visible tests only" in output
    assert "Total" in output and "/ 0 points" not in output
    assert "(hidden)" not in output
    # The grade's own table counts the visible points the handout gives these exercises.
    table = handout.tally(suite_checks)
    for module in ("ex02_windows", "ex03_labels"):
        visible = sum(p.visible for p in table[module].values())
        assert re.search(rf"^{module} -+ 0 / {visible:g} points$", output, re.M), output


def test_release_refuses_to_overwrite_without_force(student_bundle):
    with pytest.raises(bundle.BundleError, match="already exists"):
        bundle.release(student_bundle)
    with pytest.raises(bundle.BundleError, match="overwrite the project"):
        bundle.release(ROOT / "exercises", force=True)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return bundle.gradescope_zip(
        tmp_path_factory.mktemp("gradescope") / "autograder.zip", memory_mb=700, time_limit=540
    )


def test_the_zip_holds_the_autograder(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        script = archive.read("run_autograder").decode()
        requirements = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml"} <= names
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "solutions/ex05_training.py" in names
    assert "tests/hidden/test_against_solutions.py" in names
    assert "tests/rubric/test_ex05_training.py" in names
    assert not any(
        n.startswith(("tests/engine/", "tests/mutants/", "tests/library/")) for n in names
    )
    assert not any("__pycache__" in n for n in names)
    assert "/autograder/submission" in script.replace("$ROOT", "/autograder")
    assert "--memory 700" in script and "--time-limit 540" in script
    assert 'LSTM_LAB_AHEAD="${LSTM_LAB_AHEAD-0}"' in script, "one worker in 768 MB"
    assert "tensorflow==" in requirements and "keras==" in requirements


def test_the_setup_script_is_valid_bash(autograder_zip, tmp_path):
    root = bundle.unpack(autograder_zip, tmp_path)
    for name in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(root / name)], check=True)


def autograder_root(autograder_zip, tmp_path, submission_from):
    """A temporary /autograder: the zip in source/, a submission, an empty results/."""
    root = tmp_path / "autograder"
    bundle.unpack(autograder_zip, root / "source")
    shutil.copytree(submission_from, root / "submission")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root, extra_args: str):
    env = clean_env(
        AUTOGRADER_ROOT=root,
        LSTM_LAB_PYTHON=sys.executable,
        LSTM_LAB_GRADE_ARGS=extra_args,
        LSTM_LAB_PRELOAD="numpy,pandas,sklearn.model_selection,lstm_lab.data",
    )
    env.pop("PYTHONPATH")  # run_autograder sets it to the unpacked source
    proc = subprocess.run(
        [str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text()), proc.stdout


def test_run_autograder_grades_the_submission(autograder_zip, tmp_path):
    root = autograder_root(autograder_zip, tmp_path, ROOT / "solutions")
    results, output = run_autograder(root, "--exercise ex03_labels")
    assert results["score"] == results["max_score"] > 0
    assert any("hidden" in t["tags"] for t in results["tests"])
    assert str(root / "source") in output or "lstm_lab autograder" in results["output"]


def test_run_autograder_grades_a_partial_submission(autograder_zip, tmp_path):
    partial = assemble(tmp_path, "partial", drop=["ex02_windows"])
    root = autograder_root(autograder_zip, tmp_path, partial)
    results, _ = run_autograder(root, "--exercise ex02_windows --exercise ex03_labels")
    by_module = {}
    for test in results["tests"]:
        by_module.setdefault(test["tags"][0], []).append(test["score"] == test["max_score"])
    assert not any(by_module["ex02_windows"]) and all(by_module["ex03_labels"])


def test_run_autograder_reports_a_broken_grader(autograder_zip, tmp_path):
    root = autograder_root(autograder_zip, tmp_path, ROOT / "solutions")
    shutil.rmtree(root / "source" / "tests")
    results, _ = run_autograder(root, "")
    assert results["score"] == 0 and "autograder failed" in results["output"]


# -- a missing sibling ----------------------------------------------------------------------------
def grade_in_bundle(student_bundle, target, *args):
    return subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "grade", str(target), "--no-results", *args],
        cwd=student_bundle, env=clean_env(PYTHONPATH=student_bundle),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_on_the_grader_a_missing_sibling_costs_ex05_nothing(tmp_path):
    # ex05 is graded on the reference's pieces where ex02_windows.py is missing: its cheap
    # checks (the conventions' bad input) keep their points.
    partial = assemble(tmp_path, "partial", drop=["ex02_windows"])
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "grade", str(partial), "--no-results",
         "--exercise", "ex05_training", "-k", "refuses_bad_input"],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"^ex05_training -+ 3 / 3 points$", proc.stdout, re.M), proc.stdout


def test_in_the_bundle_a_missing_sibling_is_named_once(student_bundle, tmp_path):
    # With no reference to stand in, ex05 cannot run without ex02_windows.py: its checks fail,
    # with one message that names the missing file, no private names, no traceback.
    partial = assemble(tmp_path, "partial", drop=["ex02_windows"])
    proc = grade_in_bundle(
        student_bundle, partial, "--exercise", "ex05_training", "-k", "refuses_bad_input"
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"^ex05_training -+ 0 / 3 points$", proc.stdout, re.M), proc.stdout
    assert "_lstm_lab_target" not in proc.stdout and "Traceback" not in proc.stdout
    assert "ex02_windows.py" in proc.stdout and "missing" in proc.stdout
    assert sum("ex02_windows" in message for message in messages(proc.stdout)) == 1, proc.stdout
    # and the student is told that the submitted grade runs ex05 on the reference's pieces
    assert "ex05_training ran here on your own ex02-ex04" in proc.stdout, proc.stdout


def messages(table: str) -> list[str]:
    """The failure messages of a grade's table: each run of lines indented under a check."""
    found, current = [], []
    for line in [*table.splitlines(), ""]:
        if line.startswith("      "):
            current.append(line.strip())
        elif current:
            found.append(" ".join(current))
            current = []
    return found
