"""A pytest plugin for the self-test's grading runs (``-p no_shrinking``): the grading profile
without hypothesis' shrink phase.

Generation is the same (derandomized), so a test fails on a mutant exactly when it would in a
grade; shrinking the failing example only shortens the message, and costs a mutant run many calls
into the worker.
"""

from hypothesis import Phase, settings

PROFILE = "grading-no-shrink"


def pytest_configure(config):
    # After tests/conftest.py has registered and loaded "grading".
    phases = [phase for phase in Phase if phase not in (Phase.shrink, Phase.explain)]
    settings.register_profile(PROFILE, parent=settings.get_profile("grading"), phases=phases)
    settings.load_profile(PROFILE)
