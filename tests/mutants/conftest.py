"""The files here are wrong (and some right) copies of exercise functions, not tests.

``tests/test_mutants.py`` reads them as text and grafts each onto a copy of ``solutions/``; pytest
must never import them (they import their siblings relatively, as a target's modules do).
"""

collect_ignore_glob = ["*.py"]
