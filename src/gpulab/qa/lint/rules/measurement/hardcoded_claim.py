"""GL404 hardcoded-claim."""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.text import Text, markdown_texts

_NUMBER = r"(?<![\w.{])\d+(?:\.\d+)?"
SPEEDUP = re.compile(
    rf"{_NUMBER}(?:\s*(?:-|–|to)\s*\d+(?:\.\d+)?)?\s*[x×]\s*"
    r"(?:faster|speed-?ups?|quicker|slower|higher throughput|more throughput"
    r"|the (?:speed|throughput|performance)"
    r"|(?:speed|performance|throughput)[- ](?:difference|gain|boost|improvement|increase|advantage))"
    rf"|speed-?up\s+of\s+(?:up\s+to\s+)?~?{_NUMBER}\s*[x×]"
    rf"|\bup\s+to\s+{_NUMBER}\s*[x×](?!\w)",
    re.IGNORECASE,
)
THROUGHPUT = re.compile(rf"{_NUMBER}\s*(?:[TGP]FLOP/?S|TOPS)\b", re.IGNORECASE)
GPU_MODEL = (
    r"\b(?:(?:NVIDIA|GeForce|Tesla|Quadro)\s+)?"
    r"(?:RTX\s*(?:PRO\s*)?\d{4}(?:\s*Ti)?|GTX\s*\d{3,4}|GB\d{3}|GH\d{3}|[AHBL]\d{2,3}S?|"
    r"V100|P100|P40|K80|T4|L4|A10G|A6000|A5000|A4000|Jetson\s+\w+)\b"
)
# "this machine has an X": a claim about whatever GPU the reader runs on.
MACHINE_CLAIM = re.compile(
    r"\b(?:your|this|the current|detected|running on|you(?:'re| are) (?:on|using|running))\b"
    r"[^.\n]{0,40}?"
    + GPU_MODEL
    + r"(?:,?\s*\d+\s*GB)?\)?"
    + r"|"
    + GPU_MODEL
    + r"\s*\(\s*\d+\s*GB\s*\)?[^.\n]{0,20}\b(?:detected|available|ready)\b",
    re.IGNORECASE,
)


_LINK = re.compile(r"\]\(|https?://|www\.", re.IGNORECASE)


def claims(text: str) -> Iterator[tuple[int, str]]:
    """(offset, claim) for each hard-coded speed-up, FLOPS figure or machine claim in `text`,
    except on a line that links to its source (a list of other notebooks, a cited figure)."""
    for pattern in (SPEEDUP, THROUGHPUT, MACHINE_CLAIM):
        for match in pattern.finditer(text):
            if not _LINK.search(line_around(text, match.start())):
                yield match.start(), " ".join(match.group(0).split())


def line_around(text: str, offset: int) -> str:
    """The line of `text` that holds `offset`."""
    end = text.find("\n", offset)
    return text[text.rfind("\n", 0, offset) + 1 : end if end >= 0 else len(text)]


class HardcodedClaim(Rule):
    """Performance numbers or hardware asserted in markdown instead of measured.

    ## What it does
    Scans literal prose (the module docstring and the literal text of `mo.md`, `mo.callout` and
    `mo.Html` strings, also when the string was first assigned to a name in the cell) for:

    - speed-up claims: "8x faster", "2-3x speedup", "speedup of 5x", "up to 10x",
      "8x speed difference", "3x performance gain";
    - throughput figures: "733 TFLOPS", "989 TOPS";
    - claims about the reader's hardware: "Your GPU (L40S, 44GB)", "running on an H100",
      "A100 (80 GB) detected".

    Interpolated values are not text: `mo.md(f"{speedup:.1f}x faster on {gpu_name}")` reports
    what was measured and is fine; the literal strings an interpolation chooses between
    (`{"see a 20x speedup" if ok else ""}`) are text. A claim on a line that links to its source
    (a list of other notebooks, "Llama 7b 2x faster [notebook](https://...)") refers to other
    material and is not reported. Each claim is reported on its own line, inside multi-line
    and f-strings too.

    ## Why it matters
    Text such as "Your GPU (L40S, 44GB)" and "733 vs 91 TFLOPS -> 8x" tells every reader the
    same thing whatever they run on. Hard-coded results are wrong on every other GPU, precision and
    driver, and they are indistinguishable from measured ones.

    ## Example
    ```python
    mo.md("TensorRT makes inference **8x faster** on your GPU (L40S).")
    ```

    ## Fix
    Measure and interpolate, or attribute the figure:
    ```python
    mo.md(f"On this {gpu_name}, TensorRT ran **{speedup:.1f}x faster** than eager FP32.")
    mo.md("NVIDIA's datasheet lists 989 dense BF16 TFLOPS for the H100 SXM.")  # gpulab: ignore[GL404]
    ```
    """

    code = "GL404"
    name = "hardcoded-claim"
    severity = Severity.WARNING
    summary = 'Markdown asserting "Nx faster", TFLOPS or the reader\'s GPU model'

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        seen: set[tuple[int, str]] = set()
        for text in markdown_texts(notebook):
            for part in text.parts:
                for offset, claim in claims(part):
                    line = self._line(text, part, offset)
                    if (line, claim) in seen:
                        continue
                    seen.add((line, claim))
                    message = (
                        f'"{claim}" is written into the text, not measured: it will be wrong on '
                        "other GPUs and settings; compute it and interpolate it, or cite its source"
                    )
                    # A comment after the closing quotes can silence a claim inside the string.
                    if text.cell is None:
                        end = line + (getattr(text.node, "end_lineno", 1) - text.node.lineno)
                        finding = self.file_finding(notebook, line, message)
                        yield dataclasses.replace(finding, end_line=max(end, line))
                    else:
                        finding = self.finding(notebook, text.cell, text.node, message)
                        yield dataclasses.replace(finding, line=line)

    @staticmethod
    def _line(text: Text, part: str, offset: int) -> int:
        """The file line of a claim: found in the string's source (f-strings and concatenated
        pieces keep their own lines), else counted inside a plain string."""
        source = ast.get_source_segment(text.cell.code, text.node) if text.cell else None
        snippet = part[offset:].split("\n", 1)[0].strip()[:40]
        if source and snippet:
            nth = part.count(snippet, 0, offset)
            found = -1
            for _ in range(nth + 1):
                found = source.find(snippet, found + 1)
                if found < 0:
                    break
            if found >= 0:
                return text.file_line + source.count("\n", 0, found)
        if text.is_plain:
            return text.file_line + part.count("\n", 0, offset)
        return text.file_line
