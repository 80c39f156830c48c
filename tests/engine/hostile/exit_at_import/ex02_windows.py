"""HOSTILE SUBMISSION (exit_at_import): os._exit(3) while the module is imported."""

import os

os._exit(3)
