"""Mistake: the ceiling divided by the sequence length instead of the number of windows."""

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = [
    "test_stateless_ceiling_matches_the_coin_toss_bound",
    "test_stateless_ceiling_of_the_lesson",
    "test_stateless_ceiling_agrees_with_solutions",
]
SLOW = False


def stateless_ceiling(seq_len, window):
    if seq_len < 1 or not 1 <= window <= seq_len:
        raise ValueError(f"window must be between 1 and seq_len {seq_len}, got {window}")
    return (1 + 0.5 * (seq_len - window)) / seq_len
