"""The report page renders in a real browser: the table has every approach, every plot decodes.

The report is built from fake results (``test_lab.fake_results``): nothing trains. The page is
opened in headless Chromium with a small script appended that, once the page has loaded, writes
what the browser sees (rows of the table, size of every image) into the DOM; ``--dump-dom``
prints it. Chromium is installed with apt-get when it is missing and we are root; elsewhere the
test is skipped with the reason.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_lab import NEEDS_EX04, fake_results

from lstm_lab import report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: Flags for a quiet, offline, throwaway headless browser.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

#: Appended to a copy of the page: reports, after load, what the browser actually rendered.
PROBE = """
<script>
window.addEventListener("load", () => {
  const images = [...document.images].map((img) => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    shown: img.getBoundingClientRect().width,
  }));
  const rows = [...document.querySelectorAll("#results tbody tr")].map((tr) => ({
    id: tr.id, text: tr.innerText, cells: tr.cells.length,
  }));
  const table = document.getElementById("results").getBoundingClientRect();
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({images, rows, tableWidth: table.width});
  document.body.appendChild(probe);
});
</script>
"""


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> str:
    """A headless Chromium: found, or installed with apt-get as root, or the test is skipped."""
    path = find_browser()
    if path is not None:
        return path
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(
            "no Chromium to render the report, and no way to install one (needs root and "
            "apt-get: `apt-get install -y chromium`)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "install", "-y", "chromium"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "chromium"],
    ):
        subprocess.run(command, env=env, capture_output=True, timeout=900)
        path = find_browser()
        if path is not None:
            return path
    pytest.skip("Chromium is not installed and `apt-get install -y chromium` did not install it")


def run_browser(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The report of the fake results, written once for the module."""
    out = tmp_path_factory.mktemp("report")
    results = fake_results()
    paths = report.write_report(results, out)
    return results, paths


def test_report_renders_the_table_and_every_plot(browser, built, tmp_path):
    results, paths = built
    page = paths["index"].read_text(encoding="utf-8")
    probe_page = paths["index"].with_name("probe.html")
    probe_page.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = run_browser(
        browser, tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe_page.as_uri()
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the browser did not run the probe; stderr:\n{done.stderr[-2000:]}"
    seen = json.loads(html.unescape(found.group(1)))

    # The table: one row per approach, in order, each with its title and its numbers or status.
    rows = seen["rows"]
    assert [r["id"] for r in rows] == [f"row-{a['id']}" for a in results["approaches"]]
    for row, approach in zip(rows, results["approaches"], strict=True):
        assert approach["title"] in row["text"], (approach["id"], row["text"])
    by_id = {r["id"][len("row-") :]: r for r in rows}
    assert "not implemented yet" in by_id["stateless_whole"]["text"]
    assert "ValueError" in by_id["stateful_b90"]["text"]
    assert "epoch 4" in by_id["stateful_b10"]["text"]
    assert "pitfall" in by_id["pitfall_overwritten_labels"]["text"]
    needs = by_id["pitfall_reset_every_batch"]
    assert NEEDS_EX04 in needs["text"] and needs["cells"] == 2, needs  # title + one message
    assert seen["tableWidth"] > 600, "the table is laid out across the page"

    # Every plot: the overview and one per approach that ran, decoded by the browser.
    assert len(seen["images"]) == len(paths["plots"])
    for image in seen["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert image["shown"] > 100, f"{image['alt']} is not displayed at a readable size"


def test_report_screenshot_is_drawn(browser, built, tmp_path):
    # A screenshot of the page: proof that it paints, and a look for whoever debugs it.
    _, paths = built
    shot = tmp_path / "report.png"
    done = run_browser(
        browser,
        tmp_path,
        "--window-size=1200,2400",
        f"--screenshot={shot}",
        paths["index"].as_uri(),
    )
    assert shot.is_file(), f"no screenshot; stderr:\n{done.stderr[-2000:]}"
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, "a blank or broken screenshot"
