"""Fixtures of the ``lstm-lab class`` tests: a throwaway PostgreSQL server, headless Chromium,
a TCP port that no submission may reach."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _newest_postgres() -> Path:
    """Debian's PostgreSQL binaries, the newest version installed (15 on this machine)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _newest_postgres()


def pytest_configure(config):
    # pytest-xdist registers it; runs without xdist (-p no:xdist) need it too (--strict-markers)
    config.addinivalue_line("markers", "xdist_group(name): tests that share one xdist worker")


def _as_postgres(command: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster on 127.0.0.1 for this session (trust authentication, no fsync),
    run as the ``postgres`` user when the tests run as root; stopped at the end."""
    if not (PG_BIN / "initdb").is_file():
        pytest.skip(f"PostgreSQL is not installed here ({PG_BIN}/initdb; .ci/run installs it)")
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("initdb refuses root, and there is no postgres user to run it as")
    base = Path(tempfile.mkdtemp(prefix="lstm_lab_pg_"))
    data = base / "data"
    if user:
        os.chown(base, user.pw_uid, user.pw_gid)
    name = user.pw_name if user else None
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "--auth=trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            name,
        ),
        **run,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = f"-h 127.0.0.1 -p {port} -k {base} -F"
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-o",
                options,
                "start",
            ],
            name,
        ),
        **run,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], name
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_module_db(postgres_server):
    """A fresh database on the session's server, for one test module: its URL."""
    import classroom_support

    return classroom_support.new_database(postgres_server)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The suite every grade of a test module uses (``--tests``), copied once."""
    import classroom_support

    return classroom_support.copy_suite(tmp_path_factory.mktemp("suite") / "tests")


@pytest.fixture(scope="module")
def listener():
    """A TCP port on 127.0.0.1 that the caller submission tries; ``accepted()`` says who came."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)

    class Listener:
        port = server.getsockname()[1]

        @staticmethod
        def accepted() -> int:
            count = 0
            while True:
                try:
                    connection, _ = server.accept()
                except BlockingIOError:
                    return count
                connection.close()
                count += 1

    yield Listener
    server.close()
