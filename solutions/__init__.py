"""Reference answers to the lstm_lab exercises (the instructor's copy; not shipped to students)."""
