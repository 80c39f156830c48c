"""HOSTILE SUBMISSION (loop_at_import): an endless loop while the module is imported."""

while True:
    pass
