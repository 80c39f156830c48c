"""HOSTILE SUBMISSION (relay_forward): implements nothing of ex03 and forwards both functions to
the relay that ex05's runs use, which, were it to answer anyone, would answer with the
reference's results."""

# ruff: noqa: F821
# (appended to the reference module: these definitions replace the reference's)

from lstm_lab.grading import relay as _relay

expand_labels = _relay.reference_function("ex03_labels", "expand_labels")
stateful_batches = _relay.reference_function("ex03_labels", "stateful_batches")
