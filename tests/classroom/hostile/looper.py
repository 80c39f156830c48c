"""HOSTILE SUBMISSION (looper): never finishes being imported (an endless loop, asleep so that
it costs the machine nothing): its grade never ends by itself, and the batch kills it past
``--grade-timeout``.

Appended to ex02_windows of a copy of solutions/.
"""

import time

while True:
    time.sleep(1)
