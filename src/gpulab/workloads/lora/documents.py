"""Documents to fine-tune on, and their train/validation split (by document, never by chunk).

Built-in sets are real English text that every CPython install carries (no download); a local
.jsonl/.json/.csv/.txt file or a Hugging Face dataset (`hf:<name>[:split]`) works too.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gpulab.deps import require
from gpulab.errors import UsageError
from gpulab.progress import ProgressFn, no_progress
from gpulab.workloads.lora.config import FinetuneConfig
from gpulab.workloads.lora.hub import hub_reachable

DATASETS = {
    "python-docs": "Python's own documentation: language-reference topics + standard-library docstrings",
    "pydoc-topics": "the language-reference topics of `pydoc_data` (one document per section)",
    "pydoc-qa": "pydoc topics as questions and answers (prompt tokens masked from the loss)",
}


@dataclass(frozen=True)
class Example:
    """One document. The loss is taken on `completion`; `prompt` (if any) is context only."""

    completion: str
    prompt: str = ""
    title: str = ""


@dataclass
class DataSplit:
    train: list[Example]
    val: list[Example]
    source: str

    def preview(self, rows: int = 8, width: int = 70) -> list[dict[str, str]]:
        """A few rows of each split, text shortened to fit a page; the prompt column only where
        some document has a prompt."""
        prompts = any(e.prompt for e in self.train + self.val)

        def shorten(text: str, limit: int) -> str:
            flat = " ".join(text.split())
            return flat[:limit] + ("…" if len(flat) > limit else "")

        def row(split: str, ex: Example) -> dict[str, str]:
            shown = {"split": split, "title": shorten(ex.title, 30)}
            if prompts:
                shown["prompt"] = shorten(ex.prompt, width // 2)
            shown["text"] = shorten(ex.completion, width // 2 if prompts else width)
            shown["characters"] = f"{len(ex.completion):,}"
            return shown

        half = max(1, rows // 2)
        return [row("train", e) for e in self.train[: rows - half]] + [
            row("validation", e) for e in self.val[:half]
        ]


_HEADING_RULE = re.compile(r"^([*=\-~^])\1{2,}\s*$")


def _sections(text: str) -> list[tuple[str, str]]:
    """Split reStructuredText-like plain text at underlined headings -> (title, body)."""
    lines = text.splitlines()
    starts = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip() and _HEADING_RULE.match(lines[i + 1]) and len(lines[i + 1].strip()) >= 3
    ]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    sections = []
    for begin, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        title = lines[begin].strip()
        sections.append((title, "\n".join(lines[begin:end]).strip()))
    return sections


def _without_heading(section: str) -> str:
    lines = section.splitlines()
    if len(lines) > 2 and _HEADING_RULE.match(lines[1]):
        return "\n".join(lines[2:]).lstrip("\n").rstrip()  # keep the first line's indent
    return section


@cache
def _pydoc_sections() -> tuple[tuple[str, str], ...]:
    from pydoc_data.topics import topics

    out = []
    for key in sorted(topics):
        for title, body in _sections(topics[key]):
            if len(body) >= 200:
                out.append((f"{key}: {title}", body))
    return tuple(out)


_STDLIB_DOCSTRINGS: list[tuple[tuple[str, str], ...]] = []  # parsed once per process


def _stdlib_docstrings(progress: ProgressFn = no_progress) -> tuple[tuple[str, str], ...]:
    import sysconfig

    if not _STDLIB_DOCSTRINGS:
        root = Path(sysconfig.get_paths()["stdlib"])
        _STDLIB_DOCSTRINGS.append(tuple(module_docstrings(root, progress)))
    return _STDLIB_DOCSTRINGS[0]


def module_docstrings(root: Path, progress: ProgressFn = no_progress) -> list[tuple[str, str]]:
    """(module, its docstrings joined) for each .py under `root`, read with `ast`.

    Nothing is imported or executed; test suites and third-party packages are skipped. Progress
    counts files parsed.
    """
    import ast

    skip = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}
    paths = [
        path
        for path in sorted(root.rglob("*.py"))
        if not skip.intersection(path.relative_to(root).parts)
    ]
    out = []
    for done, path in enumerate(paths, start=1):
        relative = path.relative_to(root)
        if done % 50 == 0 or done == len(paths):
            progress(done, len(paths), "parsing the standard library's docstrings")
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        docs = [
            doc
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and (doc := ast.get_docstring(node))
            and len(doc) >= 40
        ]
        if docs:
            out.append((".".join(relative.with_suffix("").parts), "\n\n".join(docs)))
    return out


def builtin_examples(name: str, progress: ProgressFn = no_progress) -> list[Example]:
    """Real English text that every CPython has: no download. See DATASETS."""
    if name == "pydoc-topics":
        return [Example(body, title=title) for title, body in _pydoc_sections()]
    if name == "pydoc-qa":
        return [
            Example(
                _without_heading(body)[:1500],
                prompt=f"What does the Python language reference say about {title.split(': ', 1)[1]}?",
                title=title,
            )
            for title, body in _pydoc_sections()
        ]
    if name == "python-docs":
        return builtin_examples("pydoc-topics") + [
            Example(body, title=title) for title, body in _stdlib_docstrings(progress)
        ]
    raise UsageError(f"unknown built-in dataset {name!r}; known: {', '.join(DATASETS)}")


_TEXT_KEYS = ("text", "content", "document", "body")
_PROMPT_KEYS = ("prompt", "instruction", "question", "query")
_RESPONSE_KEYS = ("response", "completion", "output", "answer", "chosen")


def example_from_record(record: dict[str, Any]) -> Example | None:
    """A row with `text`, or a prompt column plus a response column (Alpaca's `input` appended)."""
    lowered = {str(k).lower(): v for k, v in record.items() if v is not None}
    prompt_key = next((k for k in _PROMPT_KEYS if str(lowered.get(k, "")).strip()), None)
    response_key = next((k for k in _RESPONSE_KEYS if str(lowered.get(k, "")).strip()), None)
    if prompt_key and response_key:
        prompt = str(lowered[prompt_key]).strip()
        extra = str(lowered.get("input", "")).strip()
        if extra:
            prompt = f"{prompt}\n\n{extra}"
        return Example(str(lowered[response_key]).strip(), prompt=prompt)
    text_key = next((k for k in _TEXT_KEYS if str(lowered.get(k, "")).strip()), None)
    if text_key:
        return Example(str(lowered[text_key]).strip())
    return None


def load_examples(
    source: str, max_documents: int | None = None, progress: ProgressFn = no_progress
) -> list[Example]:
    """Documents from a built-in name, a local .jsonl/.json/.csv/.txt/.md file, or `hf:<dataset>`.
    Reading the `python-docs` set parses the standard library: `progress` counts its files."""
    source = source.strip()
    if source in DATASETS:
        examples = builtin_examples(source, progress)
    elif source.startswith("hf:"):
        examples = _hf_examples(source.removeprefix("hf:"))
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise UsageError(
                f"dataset {source!r} is not a file, not hf:<name> and not a built-in "
                f"({', '.join(DATASETS)})"
            )
        examples = _file_examples(path)
    examples = [e for e in examples if e.completion.strip()]
    if not examples:
        raise UsageError(
            f"dataset {source!r} is empty: no row with text (columns {', '.join(_TEXT_KEYS)}) or "
            f"with a prompt ({', '.join(_PROMPT_KEYS)}) and a response ({', '.join(_RESPONSE_KEYS)})"
        )
    return examples[:max_documents] if max_documents else examples


def _file_examples(path: Path) -> list[Example]:
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8", errors="replace")
    records: Iterable[Any]
    if suffix == ".jsonl":
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: not valid JSON Lines ({err})") from None
    elif suffix == ".json":
        try:
            loaded = json.loads(text) if text.strip() else []
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: not valid JSON ({err})") from None
        records = loaded if isinstance(loaded, list) else loaded.get("data", [])
    elif suffix in (".csv", ".tsv"):
        records = list(
            csv.DictReader(text.splitlines(), delimiter="\t" if suffix == ".tsv" else ",")
        )
    else:  # plain text: documents are separated by blank lines
        return [Example(part.strip()) for part in re.split(r"\n\s*\n", text) if part.strip()]
    out = []
    for record in records:
        if isinstance(record, str):
            out.append(Example(record))
        elif isinstance(record, dict) and (example := example_from_record(record)):
            out.append(example)
    return out


def _hf_examples(name: str) -> list[Example]:
    datasets = require("datasets")
    dataset_name, _, split = name.partition(":")
    if not hub_reachable():
        raise UsageError(f"cannot load hf:{name}: the Hugging Face Hub is unreachable (offline?)")
    try:
        dataset = datasets.load_dataset(dataset_name, split=split or "train")
    except Exception as err:  # datasets raises many types for a bad name or split
        raise UsageError(f"cannot load hf:{name}: {str(err).splitlines()[0]}") from None
    return [e for row in dataset if (e := example_from_record(row))]


def split_documents(
    examples: Sequence[Example], val_fraction: float = 0.1, seed: int = 0
) -> DataSplit:
    """Train/validation split by document (never by chunk: no text is in both)."""
    if len(examples) < 2:
        raise UsageError(
            f"need at least 2 documents to split train/validation, got {len(examples)}"
        )
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_val = min(len(examples) - 1, max(1, round(len(examples) * val_fraction)))
    val = [examples[i] for i in sorted(order[:n_val])]
    train = [examples[i] for i in sorted(order[n_val:])]
    return DataSplit(train=train, val=val, source="")


def load_data(config: FinetuneConfig) -> DataSplit:
    split = split_documents(
        load_examples(config.data, config.max_documents), config.val_fraction, config.seed
    )
    split.source = DATASETS.get(config.data, config.data)
    return split
