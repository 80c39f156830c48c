"""The grading engine: a judge that never imports student code.

How a grade is decided:

    judge (the pytest process)                 worker (a subprocess per target)
    ---------------------------                -------------------------------------
    tests/  ──call/scenario──►  TargetProxy ═══pipe═══►  lstm_lab.grading.worker
            ◄──── data ──────   (codec: JSON + .npz, never pickle)   imports the target,
                                                                   runs the call or a
                                                                   scenario, sends back data

- ``proxy.TargetProxy(path).call(module, function, *args, **kwargs)`` runs one function of the
  target in the worker and returns its result as data (arrays, numbers, strings, lists, dicts).
- ``proxy.TargetProxy(path).scenario(name, *args, **kwargs)`` runs
  ``scenarios.<name>(modules, *args, **kwargs)`` in the worker: the probes for what cannot travel
  as data (models, callbacks, training runs) — they return weights, configs, recorded states.
- Everything the worker sends back is decoded without pickle (``codec``), so a hostile
  submission cannot run code in the judge; the judge checks the data itself, against the
  solutions (run in a worker of their own) and the NumPy oracle.
- Failures of the target arrive as exceptions that subclass ``AssertionError`` (``errors``), so a
  test that meets one fails with a message for the student instead of erroring.
- Where ex05 builds on ex02-ex04, the worker may ask the judge questions (``worker.stand_ins``,
  ``reference_*``); ``proxy.Relay`` answers the names it allows from the solutions' worker, so
  the target runs on the reference's pieces without reference code in its process.

The modules:

- ``wire`` (length-prefixed frames on pipes, with deadlines), ``codec`` (JSON + ``.npz``).
- ``worker`` (the target's side), ``proxy`` (the judge's side: start, time out, restart, relay),
  ``zygote`` (imports TensorFlow once and forks workers from it: less time and memory per
  worker), ``sandbox`` (what limits a worker: privilege drop when root, memory and process
  limits, cleanup of what it leaves; it detects what the machine allows and says what it could
  not do).
- ``scenarios`` (the probes), ``errors`` (failures worded for students).
- ``ahead`` (where the machine has room, a second worker trains the runs ex05's tests will
  read while the tests go on: the grade uses both cores).
- ``plugin`` (the pytest plugin ``lstm-lab grade`` loads: points per test, time budgets, the
  table, ``results.json`` written last), ``commands`` (``grade``, ``release``, ``gradescope``),
  ``bundle`` (the student bundle and the Gradescope zip).
"""
