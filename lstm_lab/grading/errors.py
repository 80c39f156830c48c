"""What can go wrong when the judge calls into a target. Every one is an ``AssertionError``, so a
test that meets it *fails* (the student loses that test's points) rather than *errors*."""

from __future__ import annotations

from . import keras2


class GradingFailure(AssertionError):
    """Base class: the target did not give the judge a result for this call."""


class MissingModule(GradingFailure):
    """The target has no such exercise module."""

    def __init__(self, module: str):
        self.module = module
        super().__init__(
            f"{module}.py was not found in your submission: not implemented yet. "
            f"Hint: keep the file name {module}.py exactly as in exercises/."
        )


class ImportFailed(GradingFailure):
    """The module exists but importing it raised."""

    def __init__(
        self, module: str, type_name: str, message: str, traceback: str = "", sibling: str = ""
    ):
        self.module, self.type_name, self.message, self.traceback = (
            module,
            type_name,
            message,
            traceback,
        )
        self.sibling = sibling
        self.hint = keras2.hint_for(type_name, message)
        if self.hint:
            super().__init__(
                keras2.with_hint(
                    f"importing {module}.py raised {type_name}: {message}", type_name, message
                )
                + (f"\n{traceback}" if traceback else "")
            )
            return
        if sibling:
            super().__init__(
                f"{module}.py could not be imported: it imports {sibling}.py, which raised "
                f"{type_name}: {message}. Hint: fix {sibling}.py first (its own tests say "
                f"more); {module}'s tests run once {sibling}.py imports."
            )
            return
        if type_name in ("SyntaxError", "IndentationError", "TabError"):
            hint = f"fix the line above; `python -m py_compile {module}.py` checks the file"
        else:
            hint = (
                "the lines below show where it raised; keep module level code to imports and "
                "definitions"
            )
        super().__init__(
            f"importing {module}.py raised {type_name}: {message}\nHint: {hint}."
            + (f"\n{traceback}" if traceback else "")
        )


class SiblingMissing(ImportFailed):
    """The module imports another exercise module that the submission does not have."""

    def __init__(self, module: str, sibling: str):
        self.module, self.sibling = module, sibling
        self.type_name, self.message, self.traceback, self.hint = (
            "ModuleNotFoundError",
            "",
            "",
            None,
        )
        GradingFailure.__init__(
            self,
            f"{module}.py could not be imported: it imports {sibling}.py, which is missing from "
            f"your submission. Hint: submit {sibling}.py too (its stub, if you have not written "
            f"it yet); {module}'s tests run once it is there.",
        )


class NotImplementedYet(GradingFailure):
    """The function raised ``NotImplementedError``: the stub is still a stub."""

    def __init__(self, where: str, reason: str = "it still raises NotImplementedError"):
        self.where = where
        super().__init__(f"{where} is not implemented yet: {reason}.")


class StudentError(GradingFailure):
    """The target's code raised an exception other than ``NotImplementedError``."""

    def __init__(self, where: str, type_name: str, mro: list[str], message: str, traceback: str):
        self.where, self.type_name, self.mro = where, type_name, list(mro)
        self.message, self.traceback = message, traceback
        # A Keras 2 habit that crashed: the migration hint goes before the traceback, which a
        # long message would cut (``keras2``).
        self.hint = keras2.hint_for(type_name, message, self.mro)
        head = keras2.with_hint(f"{where} raised {type_name}: {message}", type_name, message, mro)
        super().__init__(f"{head}\n{traceback}".rstrip())

    def is_a(self, type_name: str) -> bool:
        """Whether the raised exception is (a subclass of) the built-in ``type_name``."""
        return type_name in self.mro


class WorkerCrashed(GradingFailure):
    """The worker process died during the call (``sys.exit``, a segfault, running out of memory)."""

    def __init__(self, where: str, returncode, stderr_tail: str = "", reason: str = ""):
        self.where, self.returncode, self.stderr_tail = where, returncode, stderr_tail
        self.reason = reason
        cause = (
            f"{reason}. Hint: keep memory use modest"
            if reason
            else "Hint: do not call sys.exit/os._exit, and keep memory use modest"
        )
        super().__init__(
            f"{where}: the process running your code died (exit code {returncode}) before it "
            f"returned. {cause}." + (f"\nLast output:\n{stderr_tail}" if stderr_tail else "")
        )


class CallTimeout(GradingFailure):
    """The call did not return within its time limit."""

    def __init__(self, where: str, seconds: float, detail: str = ""):
        self.where, self.seconds = where, seconds
        super().__init__(
            detail
            or f"{where} did not return within {seconds:g} s and was stopped. Hint: look for a "
            "loop that never ends, or training with far more epochs than needed."
        )


class NotCalledAgain(CallTimeout):
    """An earlier call of the same function ran out of time or killed its worker again and
    again (or importing its module ran out of time), so the judge does not spend the grade's
    time on it again."""

    def __init__(self, where: str, reason: str, seconds: float = 0.0):
        self.reason = reason
        super().__init__(
            where,
            seconds,
            f"{where} was not called: {reason} earlier in this grade. Hint: fix that first; "
            "the checks that call it are then graded again.",
        )


class OutOfTime(CallTimeout):
    """The exercise (or the whole grade) used up the time it may take."""

    def __init__(self, where: str, seconds: float, scope: str, share_of: str = ""):
        self.scope = scope
        if share_of:  # one function's share of its exercise's time
            text = (
                f"{where} was not called: the calls of {scope} used up its {seconds:g} s, its "
                f"share of {share_of}'s grading time (another function's slowness cannot cost "
                f"it: each has its own share). Hint: the reference needs far less; look for slow "
                "loops, one fit call per epoch, or too many epochs."
            )
        else:
            text = (
                f"{where} was not called: {scope} used up its {seconds:g} s of grading time. "
                "Hint: the reference needs far less; look for slow loops or too many epochs."
            )
        super().__init__(where, seconds, text)


class Tampered(GradingFailure):
    """The target replaced part of the grader's own code in its worker (``tripwire``)."""

    def __init__(self, where: str, names: list[str]):
        self.where, self.names = where, list(names)
        shown = ", ".join(self.names[:3]) + (" ..." if len(self.names) > 3 else "")
        super().__init__(
            f"{where}: no result can be given: your code replaced parts of the grader running "
            f"beside it ({shown}), so nothing this process reports can be believed. Hint: "
            "leave lstm_lab.grading and Keras's own methods (Model.fit, get_weights...) alone; "
            "the checks of this exercise are graded again once it does."
        )


class ProtocolError(GradingFailure):
    """The worker sent something that is not a valid message."""


def from_answer(error: dict, where: str) -> GradingFailure:
    """The failure a worker's error answer (``{"kind": ..., ...}``) stands for."""
    kind = error.get("kind")
    where = error.get("where", where) if isinstance(error.get("where", where), str) else where
    if kind == "missing":
        return MissingModule(str(error.get("module", where.split(".")[0])))
    if kind == "import" and isinstance(error.get("missing_sibling"), str):
        return SiblingMissing(str(error.get("module", where)), error["missing_sibling"])
    if kind == "import":
        return ImportFailed(
            str(error.get("module", where)),
            str(error.get("type", "Exception")),
            str(error.get("message", "")),
            str(error.get("traceback", "")),
            str(error.get("sibling", "")),
        )
    if kind == "attribute":
        return NotImplementedYet(where, "the function is missing from the module")
    if kind == "notimpl":
        return NotImplementedYet(where)
    if kind == "tampered":
        names = error.get("names")
        return Tampered(where, [str(n) for n in names] if isinstance(names, list) else [])
    if kind == "unsendable":
        return StudentError(
            where,
            "TypeError",
            ["TypeError", "Exception"],
            f"returned something that is not plain data ({error.get('message', '')}); "
            "return NumPy arrays, numbers, lists, tuples or dicts",
            "",
        )
    mro = error.get("mro", [])
    return StudentError(
        where,
        str(error.get("type", "Exception")),
        [str(m) for m in mro] if isinstance(mro, list) else [],
        str(error.get("message", "")),
        str(error.get("traceback", "")),
    )
