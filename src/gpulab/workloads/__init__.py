"""The maths of each notebook: pure functions and classes, unit-tested on CPU."""
