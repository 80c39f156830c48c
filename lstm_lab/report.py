"""The lab's report: a terminal table, ``results.json``, learning-curve plots and ``index.html``.

Everything here works from the results dict of ``lstm_lab.lab.run_lab`` (plain JSON-ready data),
so a report can be rebuilt from a saved ``results.json`` without training. No TensorFlow;
matplotlib is imported only to draw (Agg, through ``matplotlib.figure.Figure``, no pyplot).
The HTML is one self-contained file: styles inline, plots embedded as ``data:`` URIs, no
script and no network asset.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from string import Template
from typing import Any

#: Columns of the table: (key, header, alignment).
COLUMNS = (
    ("title", "approach", "<"),
    ("val_accuracy", "val acc", ">"),
    ("val_loss", "val loss", ">"),
    ("ceiling", "ceiling", ">"),
    ("accuracy", "train acc", ">"),
    ("converged", "converged", "<"),
    ("epochs", "epochs", ">"),
    ("seconds", "time", ">"),
)

DASH = "-"


# --------------------------------------------------------------------------------------------
# Numbers as text.


def fmt_number(value, kind: str = "acc") -> str:
    """An accuracy (``kind="acc"``: three decimals) or a loss (three significant digits)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if kind == "acc":
        return f"{value:.3f}"
    return f"{value:.3g}"


def fmt_seconds(seconds) -> str:
    return DASH if seconds is None else f"{seconds:.1f} s"


def fmt_converged(row: dict) -> str:
    """When the approach reached the threshold: ``epoch 4, 1.3 s``, ``never``, ..."""
    if row["status"] != "ok":
        return DASH
    converged = row.get("converged") or {}
    epoch = converged.get("epoch")
    if row["group"] == "lifecycle" and epoch is not None:
        # Checked once, after training: it got there by this epoch, perhaps earlier.
        return f"by epoch {epoch}, {fmt_seconds(converged.get('seconds'))}"
    if epoch is None:
        return "never" + (" (capped)" if row.get("stopped_at_cap") else "")
    approx = "~" if converged.get("estimated") else ""
    seconds = converged.get("seconds")
    return f"epoch {epoch}, {approx}{fmt_seconds(seconds)}"


def fmt_epochs(row: dict) -> str:
    if row.get("epochs") is None:
        return DASH
    return f"{row['epochs']}{'*' if row.get('stopped_at_cap') else ''}"


def status_text(row: dict) -> str:
    """What a row that did not run says instead of numbers."""
    if row["status"] == "not implemented":
        message = str(row["message"] or "")
        if row.get("needs"):  # a pitfall without the pieces it is built from
            return message
        for prefix in ("NotImplementedError: ", "ModuleNotFoundError: "):
            message = message.removeprefix(prefix)
        if "not implemented yet" in message:
            return message
        return f"not implemented yet: {message}" if message else "not implemented yet"
    if row["status"] == "error":
        return f"error: {row['message']}"
    return ""


def table_rows(results: dict) -> list[dict[str, str]]:
    """One dict of display strings per approach, keyed by the ``COLUMNS`` keys, plus
    ``id``, ``status``, ``pitfall`` and ``message`` (for rows that did not run)."""
    rows = []
    for row in results["approaches"]:
        final = row.get("final") or {}
        cells = {
            "id": row["id"],
            "status": row["status"],
            "pitfall": bool(row.get("pitfall")),
            "message": status_text(row),
            "title": row["title"],
            "val_accuracy": fmt_number(final.get("val_accuracy")),
            "val_loss": fmt_number(final.get("val_loss"), "loss"),
            "ceiling": fmt_number(row.get("ceiling")),
            "accuracy": fmt_number(final.get("accuracy")),
            "converged": fmt_converged(row),
            "epochs": fmt_epochs(row),
            "seconds": fmt_seconds(row.get("seconds")),
        }
        if row["status"] != "ok":
            for key in ("val_accuracy", "val_loss", "accuracy", "converged", "epochs", "seconds"):
                cells[key] = DASH
        rows.append(cells)
    return rows


def row_notes(row: dict) -> list[str]:
    """The notes of a row, the life cycle's numbers first."""
    notes = []
    life = row.get("lifecycle")
    if life:
        notes.append(
            f"final loss {fmt_number(life['loss'], 'loss')}; largest |prediction - target| "
            f"{fmt_number(life['max_error'], 'loss')} (tolerance {life['tolerance']})"
        )
    notes.extend(row.get("notes") or [])
    return notes


def format_table(results: dict) -> str:
    """The side-by-side table for the terminal, with notes and a legend under it."""
    rows = table_rows(results)
    widths = {key: len(header) for key, header, _ in COLUMNS}
    for cells in rows:
        for key, _, _ in COLUMNS:
            if not (cells["message"] and key != "title"):
                widths[key] = max(widths[key], len(cells[key]))

    def line(values: dict[str, str]) -> str:
        return "  ".join(
            f"{values[key]:{align}{widths[key]}}" for key, _, align in COLUMNS
        ).rstrip()

    header = line({key: title for key, title, _ in COLUMNS})
    out = [header, "-" * len(header)]
    for cells in rows:
        if cells["message"]:
            out.append(f"{cells['title']:<{widths['title']}}  {cells['message']}")
        else:
            out.append(line(cells))
    threshold = results.get("threshold") or {}
    out.append("-" * len(header))
    out.append(
        f"converged: first epoch with val acc >= {threshold.get('val_accuracy', 1.0)} and val "
        f"loss <= {threshold.get('val_loss', 0.05)} (life cycle: every prediction within 0.05); "
        "* stopped at an epoch cap; ~ estimated"
    )
    notes = [
        f"  {row['title']}: {note}"
        for row in results["approaches"]
        if row["status"] == "ok"
        for note in row_notes(row)
    ]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# results.json


def write_results_json(results: dict, path: Path) -> Path:
    """Write ``results`` as strict JSON (no NaN: the lab stores missing numbers as null)."""
    path.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return path


def load_results(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Plots.

#: Colours of the curves (matplotlib's tab10, named so the legend reads the same everywhere).
TRAIN_COLOUR, VAL_COLOUR, LINE_COLOUR = "#1f77b4", "#d62728", "#7f7f7f"


def _figure(width=8.0, height=2.9):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _epochs_axis(values):
    return list(range(1, len(values) + 1))


def _series(values):
    return [math.nan if v is None else v for v in values]


def plot_approach(row: dict, threshold: dict, path: Path) -> Path:
    """Draw one approach's learning curves (or the life cycle's fit) into ``path`` (PNG)."""
    fig = _figure()
    left, right = fig.subplots(1, 2)
    history = row.get("history") or {}
    marker = "o" if row.get("epochs", 0) and row["epochs"] <= 20 else None
    losses = [(k, c) for k, c in (("loss", TRAIN_COLOUR), ("val_loss", VAL_COLOUR)) if k in history]
    for key, colour in losses:
        values = history[key]
        label = "validation" if key.startswith("val") else "training"
        left.plot(
            _epochs_axis(values), _series(values), color=colour, label=label, marker=marker, ms=3
        )
    positive = [v for k, _ in losses for v in history[k] if v is not None and v > 0]
    if positive and max(positive) > 10 * min(positive):  # log scale only across decades
        left.set_yscale("log")
    left.set_title("loss")
    left.set_xlabel("epoch")
    if row["group"] == "lifecycle":
        life = row["lifecycle"]
        xs = list(range(1, len(life["targets"]) + 1))
        tol = life["tolerance"]
        lower = [t - tol for t in life["targets"]]
        upper = [t + tol for t in life["targets"]]
        right.fill_between(xs, lower, upper, color=LINE_COLOUR, alpha=0.2, label=f"target ± {tol}")
        right.plot(xs, life["targets"], color=LINE_COLOUR, marker="s", ms=4, label="target")
        right.plot(xs, _series(life["predictions"]), "o", color=VAL_COLOUR, label="prediction")
        right.set_title("predictions vs targets")
        right.set_xlabel("sample")
        right.legend(fontsize=8, loc="upper left")
        left.legend(fontsize=8)
    else:
        if "val_loss" in history:
            left.axhline(threshold.get("val_loss", 0.05), color=LINE_COLOUR, ls="--", lw=1)
        for key, colour in (("accuracy", TRAIN_COLOUR), ("val_accuracy", VAL_COLOUR)):
            if key in history:
                values = history[key]
                label = "validation" if key.startswith("val") else "training"
                right.plot(
                    _epochs_axis(values),
                    _series(values),
                    color=colour,
                    label=label,
                    marker=marker,
                    ms=3,
                )
        if row.get("ceiling") is not None:
            right.axhline(row["ceiling"], color="#2ca02c", ls=":", lw=1.5, label="ceiling")
        epoch = (row.get("converged") or {}).get("epoch")
        if epoch is not None:
            for ax in (left, right):
                ax.axvline(epoch, color="#2ca02c", ls="--", lw=1)
            right.plot([], [], color="#2ca02c", ls="--", lw=1, label="converged")
        right.set_ylim(0.0, 1.05)
        right.set_title("accuracy")
        right.set_xlabel("epoch")
        right.legend(fontsize=8, loc="lower right")
    from matplotlib.ticker import MaxNLocator

    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(row["title"], fontsize=11)
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def plot_overview(results: dict, path: Path) -> Path | None:
    """Validation accuracy of every approach that trained, epoch by epoch, on one axis."""
    rows = [
        r
        for r in results["approaches"]
        if r["status"] == "ok" and r["group"] != "lifecycle" and r["history"].get("val_accuracy")
    ]
    if not rows:
        return None
    import matplotlib
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    fig = _figure(9.0, 3.6)
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab20"]
    for i, row in enumerate(rows):
        values = row["history"]["val_accuracy"]
        ax.plot(
            _epochs_axis(values),
            _series(values),
            color=colours(i % 20),
            ls="--" if row["pitfall"] else "-",
            marker="o" if len(values) <= 2 else None,
            ms=3,
            lw=1.5,
            label=row["title"],
        )
    ceilings = sorted(
        {r["ceiling"] for r in rows if r.get("ceiling") is not None and r["ceiling"] < 1}
    )
    for ceiling in ceilings:
        ax.axhline(ceiling, color="#2ca02c", ls=":", lw=1.5)
        ax.annotate(
            f"stateless ceiling {ceiling:.3f}",
            (1, ceiling),
            xytext=(2, 3),
            textcoords="offset points",
            fontsize=7,
            color="#2ca02c",
        )
    longest = max(len(r["history"]["val_accuracy"]) for r in rows)
    ax.set_xscale("log")
    ax.set_xlim(0.9, max(2, longest) * 1.1)
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if t <= max(2, longest)]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def write_plots(results: dict, plots_dir: Path) -> dict[str, Path]:
    """Draw every plot into ``plots_dir``; returns ``{approach id or "overview": path}``."""
    plots_dir.mkdir(parents=True, exist_ok=True)
    threshold = results.get("threshold") or {}
    paths = {}
    overview = plot_overview(results, plots_dir / "overview.png")
    if overview is not None:
        paths["overview"] = overview
    for row in results["approaches"]:
        if row["status"] == "ok":
            paths[row["id"]] = plot_approach(row, threshold, plots_dir / f"{row['id']}.png")
    return paths


# --------------------------------------------------------------------------------------------
# index.html

#: The teaching text of each group of approaches: (heading, paragraphs in HTML).
GROUPS = {
    "lifecycle": (
        "1. The five-step life cycle",
        [
            "Every Keras model goes through the same five steps: <b>define</b> it (here an "
            "<code>LSTM(10)</code> and a <code>Dense(1)</code>), <b>compile</b> it (an optimizer "
            "and a loss, mean squared error), <b>fit</b> it, <b>evaluate</b> it and "
            "<b>predict</b> with it. The data is the ramp 0.0, 0.1, ..., 0.9 framed as "
            "supervised learning: each value is the input, the next value the target. The lesson "
            "succeeds when every prediction lands within 0.05 of its target.",
        ],
    ),
    "stateless": (
        "2. Stateless windows, and the ceiling they cannot beat",
        [
            "The echo task: a sequence of 20 random bits whose label is its <em>first</em> bit; "
            "the other 19 bits are noise. A stateless LSTM trained on sliding windows of "
            "<i>w</i> timesteps sees one window at a time and starts each from a zero state.",
            "Only the window that starts at timestep 0 contains the bit. For each of the other "
            "<i>L</i> &minus; <i>w</i> windows of a sequence the label is independent of "
            "everything the model sees, so no model can do better than a coin toss on them. "
            "The best accuracy over all windows is therefore "
            "(1 + 0.5 (<i>L</i> &minus; <i>w</i>)) / (<i>L</i> &minus; <i>w</i> + 1): "
            "0.545 for <i>w</i> = 10. More epochs or more units do not help: the information "
            "is not in the input. With <i>w</i> = <i>L</i> the window is the whole sequence "
            "and the ceiling is 1.0, at the price of holding every sequence whole.",
        ],
    ),
    "stateful": (
        "3. Stateful: one timestep at a time, reset at sequence boundaries",
        [
            "A stateful LSTM keeps its state (<i>h</i>, <i>c</i>) from one batch to the next, so "
            "a sequence can be fed one timestep per batch and the bit read at timestep 0 is "
            "still in the state at timestep 19. Two things must hold. Slot <i>b</i> of every "
            "batch must continue the same sequence (the <code>stateful_batches</code> layout and "
            "<code>fit(shuffle=False)</code>). And the state must be reset to zeros at every "
            "sequence boundary: without the reset, a sequence starts from the memory of the "
            "previous one, its first bit is mixed with someone else's, and training no longer "
            "matches validation, which reads every sequence from a zero state.",
            "The explicit loop does all of this by hand: <code>train_on_batch</code> on one "
            "timestep, then a reset after each sequence. <code>fit</code> with the "
            "<code>ResetStatesEvery(L // chunk)</code> callback does the same faster. With "
            "batch size 1 there is one weight update per timestep (1,800 an epoch), slow and "
            "noisy; batch 10 or 90 put that many sequences side by side, each in its own slot.",
        ],
    ),
    "tbptt": (
        "4. Truncated backpropagation through time",
        [
            "Truncated BPTT feeds each sequence in chunks of <i>k</i> timesteps and carries the "
            "state from one chunk to the next, as above, but backpropagates each gradient only "
            "within its chunk. The forward pass still covers the whole sequence (the bit read in "
            "the first chunk lives on in the state); the backward pass is cut at chunk "
            "boundaries, which bounds its cost and memory. Every chunk carries its sequence's "
            "label, so each chunk learns to read the bit from the state it is handed and to pass "
            "it on, with the same recurrent weights across the boundary.",
            "<i>k</i> = 1 is the stateful one-timestep-per-batch case above; <i>k</i> = <i>L</i> "
            "is ordinary full backpropagation through time. In between: fewer, larger batches "
            "and longer gradient paths as <i>k</i> grows.",
        ],
    ),
    "pitfall": (
        "5. Pitfalls, run on purpose",
        [
            "These trainers are <b>wrong on purpose</b> (<code>lstm_lab/pitfalls.py</code>): "
            "each is one mistake away from a correct approach above. They are built from the "
            "target's <code>stateful_batches</code>, <code>build_stateful_classifier</code> and "
            "<code>ResetStatesEvery</code>; until the target has them, the reference "
            "solution's stand in where there is one, and otherwise the pitfalls wait. Watch for "
            "numbers that look fine and are not.",
        ],
    ),
}

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; }
.meta { color: #555; margin-top: 0; }
table.results { border-collapse: collapse; width: 100%; font-size: 14px; margin: 1em 0; }
table.results th, table.results td { padding: 4px 8px; border-bottom: 1px solid #ddd; }
table.results th { background: #f3f3f5; text-align: left; }
table.results td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.converged td.converged { color: #1a7f37; font-weight: 600; }
tr.never td.converged { color: #9a6700; }
tr.pitfall { background: #fff5f5; }
tr.status-not-implemented td { color: #777; font-style: italic; }
tr.status-error td.message { color: #b42318; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
         background: #b42318; color: white; margin-left: 4px; vertical-align: 1px; }
section.approach { border-top: 1px solid #e5e5e5; padding-top: 0.5em; margin-top: 1em; }
.callout { background: #fff5f5; border-left: 4px solid #b42318; padding: 0.5em 1em; }
.missing { background: #f6f6f6; border: 1px dashed #bbb; padding: 1em; color: #555; }
.error { background: #fff0f0; border: 1px solid #f1b0b0; padding: 1em; color: #b42318;
         white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 13px; }
img { max-width: 100%; height: auto; }
code { background: #f3f3f5; padding: 0 3px; border-radius: 3px; font-size: 13px; }
.numbers { font-variant-numeric: tabular-nums; }
footer { color: #777; font-size: 13px; margin-top: 3em; }
"""

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lstm-lab run: $target_name</title>
<style>$css</style>
</head>
<body>
<h1>lstm-lab run</h1>
<p class="meta">$meta</p>
<p>Every approach of the lesson, trained against <code>$target</code> on the echo data
($data). An approach <b>converges</b> at the first epoch whose validation accuracy is at
least $threshold_acc with a validation loss of at most $threshold_loss, on whole validation
sequences read from a zero state.</p>
<table class="results" id="results">
<thead><tr>$header</tr></thead>
<tbody>
$rows
</tbody>
</table>
<p class="meta">* stopped at an epoch cap (see the notes); ~ estimated from the call's time.</p>
$overview
$sections
<footer>$footer</footer>
</body>
</html>
""")


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _table_html(results: dict) -> tuple[str, str]:
    header = "".join(f"<th>{_e(title)}</th>" for _, title, _ in COLUMNS)
    lines = []
    for cells in table_rows(results):
        classes = ["status-" + cells["status"].replace(" ", "-")]
        if cells["pitfall"]:
            classes.append("pitfall")
        if cells["status"] == "ok":
            classes.append("never" if cells["converged"].startswith("never") else "converged")
        title = f'<a href="#{_e(cells["id"])}">{_e(cells["title"])}</a>'
        if cells["pitfall"]:
            title += ' <span class="badge">pitfall</span>'
        tds = [f"<td>{title}</td>"]
        if cells["message"]:
            tds.append(
                f'<td class="message" colspan="{len(COLUMNS) - 1}">{_e(cells["message"])}</td>'
            )
        else:
            for key, _, align in COLUMNS[1:]:
                kind = "num" if align == ">" else key
                tds.append(f'<td class="{kind} {key}">{_e(cells[key])}</td>')
        lines.append(
            f'<tr id="row-{_e(cells["id"])}" class="{" ".join(classes)}">{"".join(tds)}</tr>'
        )
    return header, "\n".join(lines)


def _numbers_html(row: dict) -> str:
    if row["status"] != "ok":
        return ""
    final = row["final"]
    parts = []
    if row["group"] == "lifecycle":
        life = row["lifecycle"]
        parts.append(f"final loss <b>{_e(fmt_number(life['loss'], 'loss'))}</b>")
        parts.append(
            f"largest |prediction &minus; target| <b>{_e(fmt_number(life['max_error'], 'loss'))}"
            f"</b> (tolerance {_e(life['tolerance'])})"
        )
    else:
        parts.append(f"val accuracy <b>{_e(fmt_number(final['val_accuracy']))}</b>")
        parts.append(f"val loss <b>{_e(fmt_number(final['val_loss'], 'loss'))}</b>")
        if row.get("ceiling") is not None:
            parts.append(f"ceiling <b>{_e(fmt_number(row['ceiling']))}</b>")
        parts.append(f"train accuracy <b>{_e(fmt_number(final['accuracy']))}</b>")
    parts.append(f"converged: <b>{_e(fmt_converged(row))}</b>")
    parts.append(f"{_e(row['epochs'])} epochs in {_e(fmt_seconds(row['seconds']))}")
    return f'<p class="numbers">{" &middot; ".join(parts)}</p>'


def _approach_html(row: dict, images: dict[str, str]) -> str:
    badge = ' <span class="badge">pitfall</span>' if row.get("pitfall") else ""
    out = [
        f'<section class="approach" id="{_e(row["id"])}">',
        f"<h3>{_e(row['title'])}{badge}</h3>",
        f"<p><code>{_e(row['call'])}</code></p>",
        f"<p>{_e(row['about'])}</p>" if row.get("about") else "",
    ]
    if row.get("what_goes_wrong"):
        out.append(f'<p class="callout"><b>What goes wrong:</b> {_e(row["what_goes_wrong"])}</p>')
    if row["status"] == "not implemented" and row.get("needs"):
        out.append(
            f'<div class="missing"><b>Not run yet:</b> {_e(row["message"])}<br>'
            "Implement them and run <code>lstm-lab run --target exercises</code> again to see "
            "this pitfall with your own code.</div>"
        )
    elif row["status"] == "not implemented":
        out.append(
            f'<div class="missing"><b>Not implemented yet.</b> {_e(row["message"])}<br>'
            "Implement it and run <code>lstm-lab run --target exercises</code> again to see your "
            "own learning curves here.</div>"
        )
    elif row["status"] == "error":
        out.append(f'<div class="error"><b>{_e(row["message"])}</b></div>')
        if row.get("traceback"):
            out.append(
                f"<details><summary>traceback</summary><pre>{_e(row['traceback'])}</pre></details>"
            )
    else:
        out.append(_numbers_html(row))
        notes = row_notes(row)[1:] if row.get("lifecycle") else row_notes(row)
        if notes:
            out.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
        if row["id"] in images:
            out.append(
                f'<img src="{images[row["id"]]}" alt="learning curves of {_e(row["title"])}" '
                'width="800" height="290">'
            )
    if row["status"] != "ok" and row.get("ceiling") is not None:
        out.append(f"<p>The ceiling for this window: {_e(fmt_number(row['ceiling']))}</p>")
    out.append("</section>")
    return "\n".join(part for part in out if part)


def render_html(results: dict, images: dict[str, str]) -> str:
    """The report page; ``images`` maps approach ids (and ``"overview"``) to image URLs."""
    header, rows = _table_html(results)
    sections = []
    for group, (heading, paragraphs) in GROUPS.items():
        members = [r for r in results["approaches"] if r["group"] == group]
        if not members:
            continue
        sections.append(f'<h2 id="group-{group}">{heading}</h2>')
        sections.extend(f"<p>{p}</p>" for p in paragraphs)
        sections.extend(_approach_html(r, images) for r in members)
    data = results.get("data") or {}
    data_text = (
        f"{data.get('train_sequences', '?')} training and {data.get('val_sequences', '?')} "
        f"validation sequences of {data.get('length', '?')} bits"
    )
    threshold = results.get("threshold") or {}
    meta = [f"target {results['target']}", f"seed {results['seed']}"]
    if results.get("quick"):
        meta.append("--quick")
    meta.append(f"{results.get('total_seconds', 0):.0f} s in all")
    versions = results.get("versions") or {}
    footer = (
        f"lstm_lab {results.get('lstm_lab', '?')}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + ". The numbers are in results.json beside this page."
    )
    overview = ""
    if "overview" in images:
        overview = (
            "<h2>Side by side</h2><p>Validation accuracy, epoch by epoch (pitfalls dashed; "
            "epochs on a log scale).</p>"
            f'<img src="{images["overview"]}" alt="validation accuracy of every approach" '
            'width="900" height="360">'
        )
    return PAGE.substitute(
        css=CSS,
        target_name=_e(Path(str(results["target"])).name),
        target=_e(results["target"]),
        meta=" &middot; ".join(_e(part) for part in meta),
        data=_e(data_text),
        threshold_acc=_e(threshold.get("val_accuracy", 1.0)),
        threshold_loss=_e(threshold.get("val_loss", 0.05)),
        header=header,
        rows=rows,
        overview=overview,
        sections="\n".join(sections),
        footer=_e(footer),
    )


def write_report(results: dict, out: Path) -> dict[str, Any]:
    """Write ``results.json``, ``plots/*.png`` and ``index.html`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plots = write_plots(results, out / "plots")
    for row in results["approaches"]:
        row["plot"] = f"plots/{plots[row['id']].name}" if row["id"] in plots else None
    results_path = write_results_json(results, out / "results.json")
    images = {key: _data_uri(path) for key, path in plots.items()}
    index = out / "index.html"
    index.write_text(render_html(results, images), encoding="utf-8")
    return {"index": index, "results": results_path, "plots": plots}
