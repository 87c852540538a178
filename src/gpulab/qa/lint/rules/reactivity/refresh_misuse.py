"""GL202 refresh-misuse."""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import keyword

# The units marimo's front end accepts in a refresh interval (the `timestring` package).
INTERVAL_UNITS = {
    "ms", "milli", "millisecond", "milliseconds",
    "s", "sec", "secs", "second", "seconds",
    "m", "min", "mins", "minute", "minutes",
    "h", "hr", "hrs", "hour", "hours",
    "d", "day", "days", "w", "week", "weeks",
    "mon", "mth", "mths", "month", "months",
    "y", "yr", "yrs", "year", "years",
}  # fmt: skip
UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "mon": 2629800,
    "y": 31557600,
}
MIN_INTERVAL_S = 0.1


@functools.cache
def refresh_signature() -> inspect.Signature:
    """The installed marimo's public `mo.ui.refresh` signature, checked against, not copied."""
    import marimo

    return inspect.signature(marimo.ui.refresh)


def _signature_text() -> str:
    """`(options=None, default_interval=None, *, label='', on_change=None)`, without annotations."""
    parts: list[str] = []
    for parameter in refresh_signature().parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        default = "" if parameter.default is inspect.Parameter.empty else f"={parameter.default!r}"
        parts.append(f"{parameter.name}{default}")
    return f"({', '.join(parts)})"


def interval_problem(node: ast.expr) -> str | None:
    """Why marimo's front end would reject this literal interval, or None."""
    if not isinstance(node, ast.Constant) or node.value is None:
        return None
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return f"`{value!r}` is not a number of seconds or an interval string"
    if isinstance(value, int | float):
        return None if value >= MIN_INTERVAL_S else f"`{value}` is shorter than {MIN_INTERVAL_S} s"
    text = value.lower()
    if re.fullmatch(r"\s*[-+]?[0-9.]+\s*", text):
        return f'`"{value}"` has no unit and is read as milliseconds; write `"{value.strip()}s"`'
    cleaned = re.sub(r"[^.\w+-]+", "", text)
    pieces = re.findall(r"([-+]?[0-9.]+)([a-z]+)", cleaned)
    if not pieces or "".join(n + u for n, u in pieces) != cleaned:
        return f'`"{value}"` is not an interval marimo understands (e.g. "1s", "5m", "1h 30m")'
    seconds = 0.0
    for number, unit in pieces:
        if unit not in INTERVAL_UNITS:
            return f'`"{value}"`: unknown unit `{unit}` (use s, m, h, ...)'
        try:
            seconds += float(number) * _unit_seconds(unit)
        except ValueError:
            return f'`"{value}"`: `{number}` is not a number'
    if seconds < MIN_INTERVAL_S:
        return f'`"{value}"` is shorter than {MIN_INTERVAL_S} s'
    return None


def _unit_seconds(unit: str) -> float:
    for key, aliases in (
        ("ms", ("ms", "milli", "millisecond", "milliseconds")),
        ("mon", ("mon", "mth", "mths", "month", "months")),
        ("s", ("s", "sec", "secs", "second", "seconds")),
        ("m", ("m", "min", "mins", "minute", "minutes")),
        ("h", ("h", "hr", "hrs", "hour", "hours")),
        ("d", ("d", "day", "days")),
        ("w", ("w", "week", "weeks")),
        ("y", ("y", "yr", "yrs", "year", "years")),
    ):
        if unit in aliases:
            return UNIT_SECONDS[key]
    raise ValueError(unit)


class RefreshMisuse(Rule):
    """`mo.ui.refresh` called with a callable or arguments it does not accept.

    ## What it does
    Checks every `mo.ui.refresh(...)` call against the installed marimo's real signature,
    `refresh(options=None, default_interval=None, *, label="", on_change=None)`:

    - a function or lambda passed as an argument: refresh does not call anything, it re-runs the
      cells that reference it;
    - unknown keyword arguments, too many positional arguments, an argument given twice;
    - `options` that is not a list;
    - intervals marimo's front end rejects: numbers below 0.1 s, strings without a unit (`"3"` is
      3 milliseconds), unknown units, nonsense;
    - a `default_interval` that is not one of the literal `options` (a `ValueError` at runtime).

    ## Why it matters
    A GPU monitor written as `mo.ui.refresh(lambda: ..., options=[...], default_interval=3)`
    raises `TypeError` ("got multiple values for argument 'options'") when its cell runs, so
    the monitor never appears.

    ## Example
    ```python
    refresh = mo.ui.refresh(lambda: gpu_stats(), options=["1s", "5s"], default_interval=3)
    ```

    ## Fix
    ```python
    refresh = mo.ui.refresh(options=["1s", "5s"], default_interval="1s")
    refresh
    ```
    and in the next cell read `refresh` so that cell re-runs on every tick:
    ```python
    refresh
    gpu_stats()
    ```
    """

    code = "GL202"
    name = "refresh-misuse"
    severity = Severity.ERROR
    summary = "`mo.ui.refresh` given a callable or arguments it does not accept"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if (
                    isinstance(node, ast.Call)
                    and notebook.names.call_name(node) == "marimo.ui.refresh"
                ):
                    problems = list(self._problems(notebook, node))
                    if problems:
                        yield self.finding(
                            notebook, cell, node, "`mo.ui.refresh`: " + "; ".join(problems)
                        )

    def _problems(self, notebook: Notebook, call: ast.Call) -> Iterator[str]:
        for arg in [*call.args, *(kw.value for kw in call.keywords)]:
            if isinstance(arg, ast.Lambda) or (
                isinstance(arg, ast.Name) and arg.id in notebook.functions
            ):
                yield (
                    f"`{ast.unparse(arg)[:40]}` is a callable, but refresh takes "
                    "`options` and `default_interval`; it re-runs the cells that reference it"
                )
        starred = any(isinstance(a, ast.Starred) for a in call.args) or any(
            kw.arg is None for kw in call.keywords
        )
        if not starred:
            try:
                refresh_signature().bind(
                    *call.args, **{kw.arg: kw.value for kw in call.keywords if kw.arg}
                )
            except TypeError as err:
                yield f"{str(err).replace(chr(39), '`')} (it is `mo.ui.refresh{_signature_text()}`)"
        options = call.args[0] if call.args else keyword(call, "options")
        default = call.args[1] if len(call.args) > 1 else keyword(call, "default_interval")
        not_a_list = isinstance(options, ast.Tuple | ast.Set | ast.Dict) or (
            isinstance(options, ast.Constant) and options.value is not None
        )
        if not_a_list:
            yield "`options` must be a list"
        literal_options = options.elts if isinstance(options, ast.List) else None
        for element in literal_options or []:
            problem = interval_problem(element)
            if problem:
                yield problem
        if default is not None:
            problem = interval_problem(default)
            if problem:
                yield f"default_interval {problem}"
            if (
                literal_options
                and isinstance(default, ast.Constant)
                and all(isinstance(e, ast.Constant) for e in literal_options)
                and default.value not in [e.value for e in literal_options]  # type: ignore[attr-defined]
            ):
                yield (
                    f"`default_interval={default.value!r}` is not one of the options "
                    f"{[e.value for e in literal_options]!r} (marimo raises ValueError)"  # type: ignore[attr-defined]
                )
