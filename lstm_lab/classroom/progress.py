"""How a batch shows its progress: a rich bar with counts and an ETA on a terminal, plain lines
otherwise (a log, CI, a pipe)."""

from __future__ import annotations

import sys


def _line(student: str, run, retried: bool) -> str:
    if run.status == "graded":
        what = f"{run.raw_score:g} / {run.max_score:g}"
        if run.score != run.raw_score:
            what += f" (late: {run.score:g})"
    else:
        what = f"{run.status.upper()}: {run.reason}"
    return f"{student}: {what}" + (" — graded again" if retried and run.status == "graded" else "")


class Plain:
    """One line per grade: ``[3/12] doejane: 35 / 35 (3.4 s)``."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.done = self.total = 0

    def start(self, total: int, skipped: int) -> None:
        self.total = total
        if skipped:
            print(
                f"{skipped} already graded (same content, suite and options): kept",
                file=self.stream,
                flush=True,
            )

    def advance(self, student: str, run, retried: bool = False) -> None:
        if not retried:
            self.done += 1
        seconds = f" ({run.seconds:.1f} s)" if run.seconds is not None else ""
        print(
            f"[{self.done}/{self.total}] {_line(student, run, retried)}{seconds}",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        pass


class Bar(Plain):
    """A rich progress bar: graded of total, failed so far, elapsed time and the ETA."""

    def __init__(self, stream=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        super().__init__(stream)
        self.console = Console(file=self.stream)
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.failed = 0
        self.task = None

    def start(self, total: int, skipped: int) -> None:
        super().start(total, skipped)
        self.bar.start()
        self.task = self.bar.add_task("grading", total=total, failed=0)

    def advance(self, student: str, run, retried: bool = False) -> None:
        self.failed += run.status != "graded" and not retried
        self.bar.console.print(_line(student, run, retried), markup=False, highlight=False)
        self.bar.update(self.task, advance=0 if retried else 1, failed=self.failed)

    def close(self) -> None:
        self.bar.stop()


def choose(stream=None):
    stream = stream or sys.stdout
    return Bar(stream) if stream.isatty() else Plain(stream)
