"""How fast each way of training the echo task converges: epochs and seconds, side by side.

Run from the repository root (after ``pip install -e .``)::

    python benchmarks/convergence.py            # every approach, seeds 0-4
    python benchmarks/convergence.py --quick    # a few approaches, seeds 0-1
    python benchmarks/convergence.py --seeds 10 --first-seed 10 --only b10c1,b90c10

Each run trains one model on ``lstm_lab.data.echo_split(seed)`` (the lifecycle: on
``lstm_lab.data.ramp()``) with the trainer's defaults and the same seed for data and training,
in one warm process (TensorFlow imported and a first model traced before any timing). The
seconds are wall-clock and include everything the trainer does: building, tracing, training,
validating. The table gives, per approach, the median over seeds of epochs and milliseconds,
how many seeds converged, and the time as a multiple of the explicit loop's (the baseline).

Converged means what the trainers stop on: validation accuracy 1.0 with validation loss at most
0.05 on whole validation sequences (``lstm_lab.models.StopWhenConverged``); for the lifecycle,
every prediction within 0.05 of its target. The stateless trainer on windows
shorter than the sequence cannot converge: its row reports the final validation accuracy (per
window) against ``stateless_ceiling`` instead.

This is a script, not a test: machines are noisy (2 shared cores here), so compare rows of one
run, not figures of different runs.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import lstm_lab  # noqa: E402
from lstm_lab.data import ECHO_LENGTH, echo_split, ramp  # noqa: E402
from lstm_lab.target import load_module  # noqa: E402

BASELINE = "loop"
QUICK_APPROACHES = ("loop", "b10c1", "b90c1", "b10c10", "b90c10", "window20", "window10", "ramp")
QUICK_SEEDS = 2
#: The contract's check on the ramp: every prediction within this of its target.
RAMP_TOLERANCE = 0.05


@dataclass
class Run:
    """One trained model: how many epochs, how long, whether it converged, its last metrics."""

    epochs: int
    seconds: float
    converged: bool
    val_accuracy: float | None = None
    val_loss: float | None = None


@dataclass
class Approach:
    key: str
    label: str
    train: Callable[..., Run]
    runs: list[Run] = field(default_factory=list)
    ceiling: float | None = None  # for a task it cannot solve: the best accuracy it can reach


def _echo_run(trainer, seed: int, **kwargs) -> Run:
    from lstm_lab.models import CONVERGED_ACCURACY, CONVERGED_LOSS

    X_train, X_val, y_train, y_val = echo_split(seed)
    start = time.perf_counter()
    result = trainer(X_train, y_train, X_val, y_val, seed=seed, **kwargs)
    seconds = time.perf_counter() - start
    history = result.history
    accuracy, loss = history["val_accuracy"][-1], history["val_loss"][-1]
    return Run(
        epochs=len(history["loss"]),
        seconds=seconds,
        converged=accuracy >= CONVERGED_ACCURACY and loss <= CONVERGED_LOSS,
        val_accuracy=accuracy,
        val_loss=loss,
    )


def _ramp_run(ex01, seed: int, **kwargs) -> Run:
    series = ramp()
    _, y = ex01.to_supervised(series)
    start = time.perf_counter()
    result = ex01.run_lifecycle(series, seed=seed, **kwargs)
    seconds = time.perf_counter() - start
    worst = float(np.max(np.abs(np.asarray(result.predictions) - y)))
    return Run(
        epochs=len(result.history["loss"]),
        seconds=seconds,
        converged=worst <= RAMP_TOLERANCE,
    )


def approaches(target: str) -> list[Approach]:
    """Every approach of the lab, the explicit loop (the baseline) first."""
    ex05 = load_module(target, "ex05_training")
    ex01 = load_module(target, "ex01_lifecycle")
    ex02 = load_module(target, "ex02_windows")

    def stateful(batch_size, chunk):
        return lambda seed, **kw: _echo_run(
            ex05.train_stateful, seed, batch_size=batch_size, chunk=chunk, **kw
        )

    found = [
        Approach(
            "loop",
            "explicit loop: train_on_batch, 1 timestep",
            lambda seed, **kw: _echo_run(ex05.train_per_timestep, seed, **kw),
        ),
        Approach("b1c1", "fit, batch 1, chunk 1", stateful(1, 1)),
        Approach("b10c1", "fit, batch 10, chunk 1", stateful(10, 1)),
        Approach("b90c1", "fit, batch 90, chunk 1", stateful(90, 1)),
    ]
    for batch_size in (10, 90):
        for chunk in (2, 5, 10):
            found.append(
                Approach(
                    f"b{batch_size}c{chunk}",
                    f"truncated BPTT, batch {batch_size}, chunk {chunk}",
                    stateful(batch_size, chunk),
                )
            )
    for window in (ECHO_LENGTH, 10):
        found.append(
            Approach(
                f"window{window}",
                f"stateless, window {window}",
                lambda seed, window=window, **kw: _echo_run(
                    ex05.train_stateless, seed, window=window, **kw
                ),
                ceiling=ex02.stateless_ceiling(ECHO_LENGTH, window)
                if window < ECHO_LENGTH
                else None,
            )
        )
    found.append(
        Approach(
            "ramp",
            "lifecycle on the ramp (fit, batch 1)",
            lambda seed, **kw: _ramp_run(ex01, seed, **kw),
        )
    )
    return found


def warm_up(chosen: list[Approach]) -> None:
    """Import TensorFlow and trace a first model of each kind, so that no timed run pays it."""
    import tensorflow as tf

    # Every run builds new models, hence new tf.functions: TensorFlow warns about "retracing".
    tf.get_logger().setLevel("ERROR")
    for approach in chosen:
        approach.train(0, epochs=1)


def _median(values):
    return statistics.median(values) if values else float("nan")


def table(chosen: list[Approach], seeds: list[int]) -> str:
    baseline = next((a for a in chosen if a.key == BASELINE), None)
    base_ms = 1000 * _median([r.seconds for r in baseline.runs]) if baseline else None
    header = (
        f"{'approach':44s} {'epochs':>6s} {'(range)':>9s} {'ms':>7s} {'ms/epoch':>8s} "
        f"{'converged':>9s} {'x loop':>6s}"
    )
    lines = [header, "-" * len(header)]
    notes = []
    for a in chosen:
        epochs = [r.epochs for r in a.runs]
        ms = 1000 * _median([r.seconds for r in a.runs])
        per_epoch = 1000 * sum(r.seconds for r in a.runs) / sum(epochs)
        if a.ceiling is None:
            converged = f"{sum(r.converged for r in a.runs)}/{len(a.runs)}"
        else:
            converged = "n/a"
            accuracies = [r.val_accuracy for r in a.runs]
            notes.append(
                f"{a.label}: cannot converge; final val accuracy per window mean "
                f"{np.mean(accuracies):.3f}, max {max(accuracies):.3f} over {len(a.runs)} seeds "
                f"(ceiling {a.ceiling:.3f}; binomial std of 100 coin-toss windows ~0.045)"
            )
        ratio = f"{ms / base_ms:6.2f}" if base_ms else "     -"
        lines.append(
            f"{a.label:44s} {_median(epochs):6.0f} {f'{min(epochs)}-{max(epochs)}':>9s} "
            f"{ms:7.0f} {per_epoch:8.0f} {converged:>9s} {ratio}"
        )
    lines.append("")
    lines.append(
        f"Medians over seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} seeds); ms/epoch is the total "
        "time over the total epochs (setup included)."
    )
    lines.extend(notes)
    return "\n".join(lines)


def describe_machine() -> str:
    import keras
    import tensorflow as tf

    return (
        f"{datetime.date.today().isoformat()}, {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, lstm_lab {lstm_lab.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=None, help="how many seeds (default 5)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_SEEDS} seeds and only {', '.join(QUICK_APPROACHES)}",
    )
    parser.add_argument("--only", default=None, help="comma-separated approach keys to run")
    parser.add_argument(
        "--target", default="solutions", help="the target to time (default: solutions)"
    )
    parser.add_argument("--list", action="store_true", help="list the approach keys and exit")
    args = parser.parse_args(argv)

    every = approaches(args.target)
    if args.list:
        for a in every:
            print(f"{a.key:10s} {a.label}")
        return 0
    keys = (
        args.only.split(",")
        if args.only
        else QUICK_APPROACHES
        if args.quick
        else [a.key for a in every]
    )
    unknown = sorted(set(keys) - {a.key for a in every})
    if unknown:
        parser.error(f"unknown approach keys {unknown}; --list shows them")
    chosen = [a for a in every if a.key in keys]
    count = args.seeds if args.seeds is not None else QUICK_SEEDS if args.quick else 5
    seeds = list(range(args.first_seed, args.first_seed + count))

    print(describe_machine(), flush=True)
    print(f"target: {args.target}; warming up...", file=sys.stderr, flush=True)
    warm_up(chosen)
    # Seed by seed, every approach in turn: a burst of load from elsewhere then slows every row
    # a little rather than one row a lot.
    for seed in seeds:
        for a in chosen:
            run = a.train(seed)
            a.runs.append(run)
            print(
                f"  {a.key:9s} seed {seed}: {run.epochs} epochs, {1000 * run.seconds:.0f} ms, "
                f"{'converged' if run.converged else 'not converged'}",
                file=sys.stderr,
                flush=True,
            )
    print(table(chosen, seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
