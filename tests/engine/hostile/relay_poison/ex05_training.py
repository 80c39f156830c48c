"""HOSTILE SUBMISSION (relay_poison): at import, asks the relay meant for ex05's runs on the
reference's pieces for things it must not give: a question far over the size limit, an answer
far over the message limit (expand_labels of 200,000 labels 100 times: 160 MB), questions of a
function it does not allow and of no function at all, each three times, so that a careless judge
would strike the reference's functions out for every module. The trainers stay the reference's
(its honest part)."""

# (appended to the reference module)

import numpy as _np

from lstm_lab.grading import relay as _relay

_POISON = []


def _poison(ask):
    for _ in range(3):
        try:
            ask()
        except BaseException as error:  # noqa: BLE001 - whatever the judge answers
            _POISON.append(type(error).__name__)


_poison(lambda: _relay.reference_function("ex03_labels", "expand_labels")(_np.zeros(2**20), 2))
_poison(lambda: _relay.reference_function("ex03_labels", "expand_labels")(_np.zeros(200_000), 100))
_poison(lambda: _relay.reference_function("ex01_lifecycle", "to_supervised")(_np.arange(10.0), 1))
_poison(lambda: _relay.reference_function("ex02_windows", "no_such_function")(1))
