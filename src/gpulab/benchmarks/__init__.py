"""Registered benchmarks: each module here is `gpulab bench <module name>`.

A module has a docstring (its first line is the description) and `run(profile: str) -> BenchResult`
that measures gpulab's way against what a user would otherwise use, in the same run.
"""
