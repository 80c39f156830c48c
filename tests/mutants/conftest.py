"""The files here are wrong (and some right) copies of exercise functions, not tests.

``test_mutants.py`` beside them reads them as text and grafts each onto a copy of
``solutions/``; pytest must never import them (they import their siblings relatively, as a
target's modules do).
"""

from pathlib import Path

#: Every file here but the self-test (and this conftest) is a mutant.
collect_ignore = [
    p.name
    for p in Path(__file__).parent.glob("*.py")
    if p.name not in ("conftest.py", "test_mutants.py")
]
