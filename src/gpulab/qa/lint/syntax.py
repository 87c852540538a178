"""Parse code with the grammar its notebook declares (PEP 723 `requires-python`).

gpulab runs on Python 3.11; a notebook that says `requires-python = ">=3.12"` may use the
f-strings of PEP 701 (`f"{"\\n".join(rows)}"`, the same quotes nested, comments inside), which
3.11's parser rejects. Such a string is rewritten, for analysis only, into a parenthesised tuple
of its literal pieces and its expressions: names, calls and line numbers stay where they were,
so every rule still sees the cell.
"""

from __future__ import annotations

import ast
import re
import sys

_REQUIRES = re.compile(r"^#\s*requires-python\s*=\s*['\"]([^'\"]*)['\"]", re.MULTILINE)
_LOWER_BOUND = re.compile(r"(>=|~=|==|>)\s*(\d+)\.(\d+)")
_PREFIX = re.compile(r"([rRbBuUfF]{1,2})?(\"\"\"|'''|\"|')")
RUNNING = sys.version_info[:2]


def declared_python(source: str) -> tuple[int, int] | None:
    """The lowest Python a notebook's PEP 723 block allows: `">=3.12"` -> (3, 12)."""
    block = source.split("# ///", 2)
    if len(block) < 3 or not block[1].lstrip().startswith("script"):
        return None
    match = _REQUIRES.search(block[1])
    if match is None:
        return None
    bounds = []
    for operator, major, minor in _LOWER_BOUND.findall(match.group(1)):
        version = (int(major), int(minor))
        bounds.append((version[0], version[1] + 1) if operator == ">" else version)
    return min(bounds) if bounds else None


def newer_grammar(declared: tuple[int, int] | None) -> bool:
    """Whether the notebook declares a newer Python than the one running the linter."""
    return declared is not None and declared > RUNNING


def parse(code: str, declared: tuple[int, int] | None) -> ast.Module:
    """`ast.parse(code)`, retried with PEP 701 f-strings rewritten when the notebook declares
    a newer Python. Raises SyntaxError for code that does not parse either way."""
    try:
        return ast.parse(code)
    except SyntaxError:
        if not newer_grammar(declared):
            raise
    return ast.parse(downgrade_fstrings(code))


def downgrade_fstrings(code: str) -> str:
    """Every f-string in `code` as `("literal", (expr), "literal")`, keeping its line breaks."""
    out: list[str] = []
    i = 0
    while i < len(code):
        char = code[i]
        if char == "#":
            end = code.find("\n", i)
            end = len(code) if end < 0 else end
            out.append(code[i:end])
            i = end
            continue
        match = _PREFIX.match(code, i) if (char in "\"'" or char.isalpha()) else None
        if match and (i == 0 or not (code[i - 1].isalnum() or code[i - 1] == "_")):
            prefix, quote = (match.group(1) or ""), match.group(2)
            if "f" in prefix.lower():
                text, i = _fstring(code, match.end(), quote, prefix.lower().replace("f", ""))
                out.append(text)
            else:
                end = _string_end(code, match.end(), quote)
                out.append(code[i:end])
                i = end
            continue
        if char.isalnum() or char == "_":
            start = i
            while i < len(code) and (code[i].isalnum() or code[i] == "_"):
                i += 1
            out.append(code[start:i])
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _string_end(code: str, i: int, quote: str) -> int:
    """Index just past the closing `quote` of a string whose body starts at `i` (a backslash
    keeps the next character inside the string, raw or not)."""
    while i < len(code):
        if code.startswith(quote, i):
            return i + len(quote)
        i += 2 if code[i] == "\\" else 1
    return len(code)


def _fstring(code: str, i: int, quote: str, prefix: str) -> tuple[str, int]:
    """(the rewritten f-string, index past it) for an f-string whose body starts at `i`;
    `prefix` is what its literal pieces keep (`r` for a raw f-string)."""
    pieces: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            pieces.append(prefix + quote + "".join(literal) + quote)
            literal.clear()

    while i < len(code):
        if code.startswith(quote, i):
            i += len(quote)
            break
        char = code[i]
        if char == "\\" and i + 1 < len(code):
            literal.append(code[i : i + 2])
            i += 2
        elif code.startswith("{{", i) or code.startswith("}}", i):
            literal.append(char)
            i += 2
        elif char == "{":
            flush()
            expressions, i = _replacement_field(code, i + 1, quote)
            pieces.extend(f"({expr})" for expr in expressions)
        else:
            literal.append(char)
            i += 1
    flush()
    if not pieces:
        pieces.append(quote + quote)
    return "(" + ", ".join(pieces) + ",)", i


def _replacement_field(code: str, i: int, quote: str) -> tuple[list[str], int]:
    """The expressions of one `{...}` field (its own and those in its format spec), and the
    index past its closing brace."""
    expression, i = _expression(code, i)
    found = [downgrade_fstrings(expression)] if expression.strip() else []
    if i < len(code) and code[i] == "=":
        i += 1
    if i < len(code) and code[i] == "!":
        i += 2
    if i < len(code) and code[i] == ":":
        i += 1
        while i < len(code) and code[i] != "}":
            if code[i] == "{":
                nested, i = _replacement_field(code, i + 1, quote)
                found.extend(nested)
            else:
                i += 1
    return found, i + 1


def _expression(code: str, i: int) -> tuple[str, int]:
    """The expression text of a replacement field, up to its top-level `}`, `!`, `:` or `=`."""
    depth = 0
    start = i
    while i < len(code):
        char = code[i]
        match = _PREFIX.match(code, i) if (char in "\"'" or char.isalpha()) else None
        if match is not None and (match.group(1) or char in "\"'"):
            i = _string_end(code, match.end(), match.group(2))
            continue
        if char == "#":
            newline = code.find("\n", i)
            i = len(code) if newline < 0 else newline
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return code[start:i], i
            depth -= 1
        elif (
            depth == 0
            and char == "!"
            and not code.startswith("!=", i)
            or depth == 0
            and char == ":"
            or depth == 0
            and char == "="
            and _ends_debug(code, i)
        ):
            return code[start:i], i
        i += 1
    return code[start:i], i


def _ends_debug(code: str, i: int) -> bool:
    """`{x=}` / `{x = !r}`: an `=` that is the debugging specifier, not part of `==`/`<=`."""
    if code[i - 1] in "=!<>" or code.startswith("==", i):
        return False
    rest = code[i + 1 :].lstrip(" ")
    return rest[:1] in ("}", "!", ":")
