"""HOSTILE SUBMISSION (looper): an endless loop while the module is imported: its grade never
ends by itself (the batch kills it past ``--grade-timeout``).

Appended to ex02_windows of a copy of solutions/.
"""

while True:
    pass
