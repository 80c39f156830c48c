"""Student code is confined on every host: never root with capabilities, nothing outside its
scratch, no network, no signal past its own worker; and where that cannot be had, a grade of a
submission refuses (fails closed) unless told ``--unconfined``.

One hostile submission (``hostile/escape``: every route out it knows) is graded in each mode this
machine can make, as an instructor would run the grader:

- ``root-python-readable``: root, the interpreter readable to the worker's user (a mount
  namespace shows Python under /root to all, as Gradescope's image does);
- ``root-python-private``: root, the interpreter under a folder the worker's user cannot enter
  (pyenv under /root, mode 700: this machine, and CI's);
- ``instructor``: a user who is not root runs the grade (``runuser -u``): the workers run as that
  user, the one whose files (results, gradebooks, other submissions) are at stake.

In every mode: the attacked function loses its points and ex03 keeps all of its own; no file
outside the worker's scratch changed (decoys writable by all, hashed before and after); nothing
connected to the port the test listens on; the judge and a bystander process survived.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from engine_support import (
    HOSTILE,
    ROOT,
    assemble,
    cheap_args,
    drop_wrapper,
    grade,
    worker_user_turn,
)

INSTRUCTOR = "lstm-lab-instructor"
MODES = ("root-python-readable", "root-python-private", "instructor")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="making the modes (users, mount namespaces) needs root"
)


def tree_digest(*tops: Path) -> dict[str, str]:
    """Every file under ``tops`` and the hash of its bytes."""
    digest = {}
    for top in tops:
        for path in sorted(Path(top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def instructor() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(INSTRUCTOR)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin",
             INSTRUCTOR],
            check=True, capture_output=True,
        )  # fmt: skip
        return pwd.getpwnam(INSTRUCTOR)


@pytest.fixture
def place(tmp_path):
    """A folder every user may enter (the instructor must write there), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="lstm_lab_confinement_"))
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def decoys(place: Path) -> Path:
    """What a submission must never change: another grade's results, a gradebook, another
    student's submission; all writable by every user, so only confinement can protect them."""
    victims = place / "victims"
    (victims / "other_student").mkdir(parents=True)
    (victims / "results.json").write_text('{"score": 10, "max_score": 83}\n')
    with sqlite3.connect(victims / "gradebook.db") as db:
        db.execute("create table grades (student text, score real)")
        db.execute("insert into grades values ('someone', 10)")
    (victims / "gradebook.sqlite").write_bytes((victims / "gradebook.db").read_bytes())
    shutil.copy2(ROOT / "solutions" / "ex02_windows.py", victims / "other_student")
    for path in [victims, *victims.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    return victims


def wrapper_for(mode: str, place: Path) -> list[str]:
    if mode == "root-python-private":
        return []
    wrap = drop_wrapper(place / "python_home")
    assert wrap is not None, "unshare -m must work as root"
    if mode == "instructor":
        user = instructor()
        for path in [place, *place.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
        wrap = [*wrap, "runuser", "-u", INSTRUCTOR, "--"]
    return wrap


def bystander(mode: str) -> subprocess.Popen:
    """A process of the user the workers could signal if unconfined (kill(-1) would end it)."""
    prefix = ["runuser", "-u", INSTRUCTOR, "--"] if mode == "instructor" else []
    return subprocess.Popen([*prefix, "sleep", "600"])


@pytest.mark.parametrize("mode", MODES)
def test_an_escaping_submission_is_confined(mode, place, reference_scores):
    target = assemble(place, "submission", HOSTILE / "escape")
    victims = decoys(place)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    (target / "port.txt").write_text(str(listener.getsockname()[1]))
    wrap = wrapper_for(mode, place)
    watched = (victims, ROOT / "solutions", ROOT / "tests" / "hidden", target)
    before = tree_digest(*watched)
    other = bystander(mode)
    try:
        with worker_user_turn():
            graded = grade(target, *cheap_args("--call-timeout", "60"), tmp_path=place, wrap=wrap)
        assert other.poll() is None, "kill(-1) reached a process outside the worker"
    finally:
        other.kill()
        other.wait()
    assert graded.results is not None and graded.code in (0, 1), graded.output
    assert "confined: landlock abi" in graded.output, graded.output
    if mode != "instructor":
        assert "user lstm-lab-worker" in graded.output, graded.output
    got, top = graded.module_score("ex02_windows")
    assert got < reference_scores["ex02_windows"][0], f"{mode}: the escape paid\n{graded.output}"
    assert graded.module_score("ex03_labels") == reference_scores["ex03_labels"], graded.output
    assert tree_digest(*watched) == before, f"{mode}: files outside the scratch changed"
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()


def test_without_confinement_a_submission_is_not_graded(tmp_path):
    # No Landlock (switched off here, as on a kernel without it): the grade of a submission
    # refuses, says why and what to do, and writes no results.
    target = assemble(tmp_path, "submission")
    graded = grade(target, *cheap_args(), tmp_path=tmp_path, env={"LSTM_LAB_LANDLOCK": "0"})
    assert graded.code == 2 and graded.results is None, graded.output
    assert "refusing to grade" in graded.output and "--unconfined" in graded.output
    assert "LSTM_LAB_LANDLOCK=0" in graded.output, "the reason is named"


def test_unconfined_is_a_choice_the_summary_states(tmp_path):
    target = assemble(tmp_path, "submission")
    graded = grade(
        target, *cheap_args("--unconfined"), tmp_path=tmp_path, env={"LSTM_LAB_LANDLOCK": "0"}
    )
    assert graded.code == 0, graded.output
    assert "unconfined:" in graded.output
    assert "confined: landlock" not in graded.output
