"""Fixtures of the ``lstm-lab class`` tests: a throwaway PostgreSQL server, headless Chromium,
a TCP port that no submission may reach."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _as_postgres(command: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL 15 cluster on 127.0.0.1 for this session (trust authentication, no fsync),
    run as the ``postgres`` user when the tests run as root; stopped at the end."""
    if not (PG_BIN / "initdb").is_file():
        pytest.skip(f"PostgreSQL 15 is not installed here ({PG_BIN}/initdb; .ci/run installs it)")
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
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust",
                                 "-U", "postgres", "--no-sync", "-E", "UTF8"], name), **run)  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = f"-h 127.0.0.1 -p {port} -k {base} -F"
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l",
                                 str(base / "log"), "-w", "-o", options, "start"], name), **run)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                     "-w", "stop"], name), capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_server):
    """A fresh database on the session's server: its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text

    name = f"gradebook_{uuid.uuid4().hex[:10]}"
    engine = create_engine(f"{postgres_server.replace('postgresql', 'postgresql+psycopg')}/postgres",
                           isolation_level="AUTOCOMMIT")  # fmt: skip
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{postgres_server}/{name}"


#: Appended to a copy of a page: after the load, the body says how every image ended.
IMAGE_PROBE = """<script>window.addEventListener("load", () => {
  document.body.setAttribute("data-images", JSON.stringify([...document.images].map(
    (i) => [i.getAttribute("src"), i.complete, i.naturalWidth])));
});</script>"""


def render(page: Path) -> tuple[str, list]:
    """The DOM of ``page`` after headless Chromium loaded it, and ``[src, complete, width]`` of
    each of its images."""
    if CHROMIUM is None:
        pytest.fail("headless Chromium is needed (apt-get install chromium; .ci/run installs it)")
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text().replace("</body>", IMAGE_PROBE + "</body>"))
    try:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
             "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        probe.unlink()
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    match = re.search(r'data-images="([^"]*)"', done.stdout)
    assert match, f"the page never finished loading in Chromium:\n{done.stdout[:2000]}"
    import html

    return done.stdout, json.loads(html.unescape(match.group(1)))


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
