"""Precision and recall of `gpulab lint` on a folder of public notebooks whose findings were
judged by hand (`reports/lint/corpus-judgements.json`: file, line, code, verdict, why).
A measurement, not a test: the notebooks are not in this repository (`reports/lint/README.md`
lists their sources).

    python benchmarks/lint_precision.py DIR
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUDGEMENTS = ROOT / "reports" / "lint" / "corpus-judgements.json"


def main(argv: list[str]) -> int:
    from gpulab.qa.lint import registry
    from gpulab.qa.lint.engine import lint_file

    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    corpus = Path(argv[0])
    codes = {info.code for info in registry.all_rules()}
    reported: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(corpus.rglob("*.py")):
        findings, _ = lint_file(path, codes)
        reported.update((path.relative_to(corpus).as_posix(), f.line, f.code) for f in findings)
    entries = json.loads(JUDGEMENTS.read_text(encoding="utf-8"))["findings"]
    true = Counter((e["file"], e["line"], e["code"]) for e in entries if e["verdict"] == "true")
    false = Counter((e["file"], e["line"], e["code"]) for e in entries if e["verdict"] == "false")
    hits, wrong = sum((reported & true).values()), sum((reported & false).values())
    unjudged = sum((reported - true - false).values())
    print(
        f"findings: {sum(reported.values())}, judged true {hits}, judged false {wrong}, "
        f"not judged {unjudged}"
    )
    print(
        f"precision {hits / max(hits + wrong, 1):.1%}, "
        f"recall {hits / max(sum(true.values()), 1):.1%} of the findings judged true"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
