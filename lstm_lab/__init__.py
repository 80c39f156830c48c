"""lstm_lab: a teaching and autograding harness for recurrent networks in Keras 3.

The flow of the package:

    data      -> reference data: the ramp and the first-bit echo sequences, and their split
    checks    -> argument checks shared by the library and the exercises
    results   -> the result types the exercises return (``Lifecycle``, ``TrainResult``)
    oracle    -> a NumPy LSTM forward pass that takes the weights of a ``keras.layers.LSTM``
    models    -> Keras plumbing: stateless twins, validation on whole sequences, stopping
    target    -> loading a target (solutions/, exercises/, a student's copy) from a path
    grading   -> the judge, the worker that runs student code, and Gradescope output
    cli       -> the ``lstm-lab`` command line

Importing ``lstm_lab`` does not import TensorFlow; only ``lstm_lab.models`` does.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before anything can import TensorFlow

from .data import echo_sequences, ramp, split_sequences
from .results import Lifecycle, TrainResult

__all__ = ["Lifecycle", "TrainResult", "echo_sequences", "ramp", "split_sequences"]
__version__ = "0.1.0"
