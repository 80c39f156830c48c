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
- Where ex05 builds on ex02-ex04, the worker may ask the judge questions (``channel.ask_judge``,
  from the stand-ins of ``relay``); ``relay.Relay`` answers the names it allows from the
  solutions' worker, so the target runs on the reference's pieces without reference code in its
  process.

Which module owns which idea, and the path of one call from ``lstm-lab grade`` to the worker and
back: ``lstm_lab/grading/README.md``.
"""
