"""Variant: the ceiling simplified by hand, ``0.5 + 0.5 / (L - w + 1)``."""

MODULE = "ex02_windows"
KIND = "variant"
CATCHES = []
SLOW = False


def stateless_ceiling(seq_len, window):
    if seq_len < 1:
        raise ValueError(f"seq_len must be at least 1, got {seq_len}")
    if window < 1 or window > seq_len:
        raise ValueError(f"window must be between 1 and seq_len = {seq_len}, got {window}")
    return 0.5 + 0.5 / (seq_len - window + 1)
