"""Every knob of a grade, declared once: name, type, default, help, environment name, flag.

``KNOBS`` is the table. From it come the ``lstm-lab grade`` flags (``add_cli_arguments``), the
pytest options of the grading plugin and the fixtures (``add_pytest_options``), and what crosses
a process boundary: one serialised value, ``LSTM_LAB_SETTINGS`` (JSON), that the judge puts in
its environment (``applied``) and that the zygote, the workers and any subprocess read back
(``current``). A class grader passes one value to each grade instead of a dozen variables.

Where a value comes from, strongest first: an explicit flag or option; the serialised value
(when a parent process exported one); a knob's own environment variable (``LSTM_LAB_AHEAD=0``,
documented for instructors and set by Gradescope's ``run_autograder``); the default.

    from lstm_lab.grading import settings
    settings.current().call_timeout            # seconds, wherever this process runs
    with settings.applied(settings.current().replace(recycle_mb=150)):
        ...                                    # this process and its children see 150
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from dataclasses import dataclass, field, replace

#: The environment variable that carries every setting across a process boundary.
ENV = "LSTM_LAB_SETTINGS"
#: Gradescope's visibility values (the hidden tests' ``visibility`` in ``results.json``).
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
#: What ``--ahead`` may say: let the grader decide, never, always.
AHEAD_CHOICES = ("auto", "0", "1")


@dataclass(frozen=True)
class Knob:
    """One setting. ``scope`` says who offers its flag: ``"grade"`` (``lstm-lab grade`` and the
    grading plugin), ``"suite"`` (pytest, for every run of the suite: ``--target``), ``""`` (no
    flag: environment only, or set by the engine itself)."""

    name: str
    type: type
    default: object
    help: str
    env: str | None = None
    flag: str | None = None
    scope: str = ""
    choices: tuple | None = None
    metavar: str | None = None
    repeat: bool = False  # a list: the flag may be given many times
    aliases: tuple = ()  # other spellings of the flag


def _bool(text) -> bool:
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be 0 or 1, got {text!r}")


KNOBS = (
    # -- time ----------------------------------------------------------------------------------
    Knob("call_timeout", float, 120.0, "seconds one call may take unless its test says",
         env="LSTM_LAB_CALL_TIMEOUT"),
    Knob("call_timeout_max", float, None, "at most this long for any one call (caps each "
         "test's own limit)", env="LSTM_LAB_CALL_TIMEOUT_MAX", flag="--call-timeout",
         scope="grade", metavar="SECONDS"),
    Knob("import_timeout", float, 120.0, "seconds importing one target module may take",
         env="LSTM_LAB_IMPORT_TIMEOUT", flag="--import-timeout", scope="grade",
         metavar="SECONDS"),
    Knob("time_limit", float, None, "the whole grade's time; tests left when it runs out fail "
         "with a message", flag="--time-limit", scope="grade", metavar="SECONDS"),
    Knob("exercise_time_limit", str, (), "the time one exercise's calls into the target may "
         "take in all: for every exercise, or MODULE=SECONDS for one (repeatable)",
         flag="--exercise-time-limit", scope="grade", metavar="[MODULE=]SECONDS", repeat=True),
    # -- workers -------------------------------------------------------------------------------
    Knob("crash_limit", int, 3, "deaths or malformed answers after which a function is not "
         "called again", env="LSTM_LAB_CRASH_LIMIT"),
    Knob("recycle_mb", int, None, "replace a worker once its memory grew by MB since it "
         "started (default 200, or 150 with less than 1024 MB free; 0: never): TensorFlow "
         "keeps ~10 MB per model trained", env="LSTM_LAB_RECYCLE_MB", flag="--recycle",
         scope="grade", metavar="MB"),
    Knob("max_message_mb", float, 64.0, "the largest message a worker may send, in MB",
         env="LSTM_LAB_MAX_MESSAGE_MB"),
    Knob("zygote", _bool, True, "fork workers from a process that imported TensorFlow once",
         env="LSTM_LAB_ZYGOTE"),
    Knob("zygote_start", float, 300.0, "seconds the zygote may take to start",
         env="LSTM_LAB_ZYGOTE_START"),
    Knob("preload", str, None, "what the zygote imports before forking (comma-separated "
         "modules; default: NumPy, pandas, scikit-learn, Keras and lstm_lab's own)",
         env="LSTM_LAB_PRELOAD"),
    Knob("ahead", str, "auto", "train ex05's runs on a second worker: auto (where 2 CPUs and "
         "1.5 GB are free), 0 or 1", env="LSTM_LAB_AHEAD", flag="--ahead", scope="grade",
         choices=AHEAD_CHOICES),
    # -- the sandbox ---------------------------------------------------------------------------
    Knob("memory_mb", int, 1024, "memory each worker of the target may use (0: no limit)",
         flag="--memory", scope="grade", metavar="MB"),
    Knob("confine", str, "auto", "confine the workers' files, network and signals (Landlock): "
         "auto (where the grade has solutions or hidden tests to protect), on, or off (accept "
         "the risk, as --unconfined)", env="LSTM_LAB_CONFINE", flag="--confine", scope="grade",
         choices=("auto", "on", "off")),
    Knob("landlock", _bool, True, "use Landlock where the kernel has it (0: act as if it had "
         "not: the refusal to grade unconfined can be tried)", env="LSTM_LAB_LANDLOCK"),
    Knob("cgroups", _bool, True, "use cgroups for workers' memory and processes where "
         "writable", env="LSTM_LAB_SANDBOX_CGROUPS"),
    Knob("trusted", str, "", "targets that run uncaged besides the project's solutions "
         "(os.pathsep-separated)", env="LSTM_LAB_TRUSTED"),
    Knob("sandbox", dict, None, "the sandbox policy the grade applies to untrusted targets "
         "(set by lstm-lab grade: sandbox.Policy)", env="LSTM_LAB_SANDBOX"),
    # -- what is graded, and how it is reported ------------------------------------------------
    Knob("target", str, "solutions", "the directory graded: solutions, exercises, or a path",
         env="LSTM_LAB_TARGET", flag="--target", scope="suite"),
    Knob("exercise", str, (), "grade only this exercise module; repeat for more (default: "
         "all)", flag="--exercise", scope="grade", metavar="MODULE", repeat=True),
    Knob("results", str, None, "write a Gradescope results.json to PATH at the end "
         "(lstm-lab grade: ./results.json unless --no-results)", flag="--results",
         scope="grade", metavar="PATH"),
    Knob("hidden_visibility", str, "after_due_date", "Gradescope visibility of hidden tests",
         flag="--hidden-visibility", scope="grade", choices=VISIBILITIES),
    Knob("title", str, None, "the first line of the summary", flag="--grade-title",
         scope="grade", aliases=("--title",)),
    Knob("notes", str, (), "a line for the end of the summary (repeatable)",
         flag="--grade-note", scope="grade", repeat=True),
)  # fmt: skip
BY_NAME = {knob.name: knob for knob in KNOBS}


def _convert(knob: Knob, value):
    """``value`` as the knob's type; ``ValueError`` naming the knob and the rule otherwise."""
    if value is None:
        return None
    try:
        if knob.repeat:
            items = [value] if isinstance(value, str) else list(value)
            return tuple(knob.type(item) for item in items)
        if knob.type is dict:
            data = json.loads(value) if isinstance(value, str) else value
            if not isinstance(data, dict):
                raise ValueError("must be a JSON object")
            return data
        converted = knob.type(value)
    except (TypeError, ValueError) as exc:
        where = knob.env or knob.flag or knob.name
        raise ValueError(f"setting {knob.name} ({where}): {exc}") from None
    if knob.choices and converted not in knob.choices:
        raise ValueError(f"setting {knob.name} must be one of {knob.choices}, got {value!r}")
    return converted


@dataclass(frozen=True)
class Settings:
    """The value of every knob (``KNOBS``); immutable: ``replace`` makes a changed copy."""

    values: dict = field(default_factory=dict)

    def __getattr__(self, name: str):
        if name in BY_NAME:
            return self.values.get(name, BY_NAME[name].default)
        raise AttributeError(name)

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` (``None`` means: the default); unknown names are an error."""
        unknown = sorted(set(changes) - set(BY_NAME))
        if unknown:
            raise ValueError(f"unknown settings {unknown}; the knobs are {sorted(BY_NAME)}")
        values = dict(self.values)
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = _convert(BY_NAME[name], value)
        return replace(self, values=values)

    def to_json(self) -> str:
        return json.dumps(self.values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{ENV} must hold a JSON object")
        return cls().replace(**{k: v for k, v in data.items() if k in BY_NAME})


def from_environ(environ=None) -> Settings:
    """The settings of a process with this environment (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    text = environ.get(ENV)
    if text:
        return Settings.from_json(text)
    values = {}
    for knob in KNOBS:
        raw = environ.get(knob.env) if knob.env else None
        if raw is not None and raw.strip():  # empty: not set (LSTM_LAB_AHEAD=)
            values[knob.name] = raw
    return Settings().replace(**values)


def current() -> Settings:
    """This process's settings (read from its environment each time: cheap, and always the
    value a child started now would get)."""
    return from_environ()


@contextlib.contextmanager
def applied(settings: Settings, environ=None):
    """Make ``settings`` this process's (and its children's) for the block, then restore."""
    environ = os.environ if environ is None else environ
    saved = environ.get(ENV)
    environ[ENV] = settings.to_json()
    try:
        yield settings
    finally:
        if saved is None:
            environ.pop(ENV, None)
        else:
            environ[ENV] = saved


#: What a worker has no business knowing: where the results go, how the summary reads.
REPORT_ONLY = ("results", "title", "notes", "hidden_visibility")


def for_child(settings: Settings | None = None, *, worker: bool = True) -> dict:
    """The environment entries that give a child process ``settings`` (default: this one's);
    a worker's leave out ``REPORT_ONLY``."""
    chosen = settings or current()
    if worker:
        chosen = chosen.replace(**dict.fromkeys(REPORT_ONLY))
    return {ENV: chosen.to_json()}


# -- flags -----------------------------------------------------------------------------------------
def _flag_kwargs(knob: Knob, default_none: bool) -> dict:
    kwargs: dict = {"help": knob.help, "dest": knob.name}
    if knob.repeat:
        kwargs["action"] = "append"
    if knob.type in (int, float):
        kwargs["type"] = knob.type
    if knob.choices:
        kwargs["choices"] = knob.choices
    if knob.metavar:
        kwargs["metavar"] = knob.metavar
    # None: "not given", so that the environment and the serialised value still count.
    kwargs["default"] = None if default_none else knob.default
    if knob.default not in (None, (), "") and not knob.repeat:
        kwargs["help"] += f" (default: {knob.default})"
    return kwargs


def add_cli_arguments(parser: argparse.ArgumentParser, names=None) -> None:
    """The ``lstm-lab grade`` flags of the knobs of scope ``grade`` (or those ``names``)."""
    for knob in KNOBS:
        if knob.flag and (knob.scope == "grade" if names is None else knob.name in names):
            parser.add_argument(knob.flag, *knob.aliases, **_flag_kwargs(knob, default_none=True))


def add_pytest_options(parser, scope: str) -> None:
    """pytest options for the knobs of ``scope`` (``"grade"``: the plugin; ``"suite"``)."""
    group = parser.getgroup("lstm_lab grading" if scope == "grade" else "lstm_lab")
    for knob in KNOBS:
        if knob.flag and knob.scope == scope:
            group.addoption(knob.flag, *knob.aliases, **_flag_kwargs(knob, default_none=True))


def given(source, scope: str = "grade") -> dict:
    """The knobs of ``scope`` that ``source`` (an argparse namespace, or a pytest config) gave
    explicitly."""
    out = {}
    for knob in KNOBS:
        if not knob.flag or knob.scope != scope:
            continue
        if hasattr(source, "getoption"):
            try:
                value = source.getoption(knob.name)
            except ValueError:  # an option this pytest run does not have
                continue
        else:
            value = getattr(source, knob.name, None)
        if value is not None and value != []:
            out[knob.name] = value
    return out
