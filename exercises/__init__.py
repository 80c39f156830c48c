"""Your answers to the lstm_lab exercises: fill in every stub."""
