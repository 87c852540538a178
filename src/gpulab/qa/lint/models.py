"""Model loads and training calls: how big a `from_pretrained` is, and what starts training.

Sizes come from the model id (`Llama-3.1-8B`, `SmolLM2-135M`, `opt-350m`) or a short table of
well-known ids without a size in their name; a name chosen in the UI (a `.value`) is the
reader's choice, so its size is unknown and may be anything.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from gpulab.qa.lint.model import Cell, Notebook
from gpulab.qa.lint.names import keyword, method_name, string_value

# Loads whose files are a vocabulary or a config: megabytes, never GPU memory.
SMALL_ARTIFACTS = ("tokenizer", "config", "processor", "featureextractor", "generationconfig")
# Parameters of well-known models whose ids carry no size (millions).
KNOWN_SIZES_M = {
    "gpt2": 124,
    "distilgpt2": 82,
    "gpt2-medium": 355,
    "gpt2-large": 774,
    "gpt2-xl": 1558,
    "bert-base": 110,
    "bert-large": 340,
    "distilbert": 66,
    "roberta-base": 125,
    "roberta-large": 355,
    "t5-small": 60,
    "t5-base": 220,
    "t5-large": 770,
    "all-minilm": 23,
    "resnet": 60,
    "vit-base": 86,
    "clip-vit-base": 150,
    "whisper-tiny": 39,
    "whisper-base": 74,
    "whisper-small": 244,
    # Test models of a few megabytes: `sshleifer/tiny-gpt2`, `hf-internal-testing/tiny-random-*`.
    "tiny-gpt2": 0.1,
    "tiny-random": 1,
}
LARGE_PARAMS_M = 1000  # from about a billion parameters (2 GB in fp16) weights alone fill GPUs
TEST_SIZED_PARAMS_M = 10  # under ten million parameters (tens of MB) a download takes seconds
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", re.IGNORECASE)


@dataclass(frozen=True)
class ModelLoad:
    """A `*.from_pretrained(...)` call and what is known about the weights it loads."""

    call: ast.Call
    model_id: str | None  # the literal id, when the code spells it out
    params_m: float | None  # millions of parameters; None when unknown
    chosen_by_reader: bool  # the id comes from a UI element's value

    @property
    def large(self) -> bool:
        """Weights that can exhaust GPU memory: a billion parameters or more, or a size nobody
        can know before running (the reader picks the model, or the id names no size)."""
        return self.chosen_by_reader or self.params_m is None or self.params_m >= LARGE_PARAMS_M


def params_from_id(model_id: str) -> float | None:
    """Millions of parameters a model id names: `Meta-Llama-3.1-8B` -> 8000, `opt-350m` -> 350."""
    lowered = model_id.lower()
    name = lowered.rsplit("/", 1)[-1]
    sizes = [
        float(number) * (1000 if unit == "b" else 1)
        for number, unit in _SIZE.findall(name.replace("_", "-"))
    ]
    if sizes:
        return max(sizes)
    for known, size in sorted(KNOWN_SIZES_M.items(), key=lambda item: -len(item[0])):
        if name == known or name.startswith(known + "-") or name.startswith(known + "_"):
            return float(size)
    return None


def is_test_sized(model_id: str | None) -> bool:
    """A model id that names a test model of a few megabytes (`sshleifer/tiny-gpt2`)."""
    params = params_from_id(model_id) if model_id is not None else None
    return params is not None and params < TEST_SIZED_PARAMS_M


def model_id_argument(
    call: ast.Call,
    position: int = 0,
    keywords: tuple[str, ...] = ("pretrained_model_name_or_path", "model_name"),
) -> ast.expr | None:
    """The argument that names the model of a load or download: positional, else by keyword."""
    if len(call.args) > position:
        return call.args[position]
    for name in keywords:
        if (value := keyword(call, name)) is not None:
            return value
    return None


def model_load(notebook: Notebook, cell: Cell, node: ast.AST) -> ModelLoad | None:
    """The model weights a `from_pretrained` call loads; None for other calls and for
    tokenizers, configs and processors."""
    if not (isinstance(node, ast.Call) and method_name(node) == "from_pretrained"):
        return None
    if not isinstance(node.func, ast.Attribute):
        return None
    owner = ast.unparse(node.func.value).replace("_", "").lower()
    if any(word in owner for word in SMALL_ARTIFACTS):
        return None
    argument = model_id_argument(node)
    model_id = _literal_id(notebook, cell, argument)
    chosen = argument is not None and _reads_ui_value(cell, argument)
    params = params_from_id(model_id) if model_id is not None else None
    return ModelLoad(node, model_id, params, chosen)


def _literal_id(notebook: Notebook, cell: Cell, node: ast.AST | None) -> str | None:
    """The string a model id argument holds: a literal, or a name assigned one (in this cell
    or in the cell that defines it)."""
    value = string_value(node)
    if value is not None or not isinstance(node, ast.Name):
        return value
    for owner in (cell, notebook.definer.get(node.id)):
        if owner is None:
            continue
        for candidate in owner.scope_nodes(owner.body):
            if isinstance(candidate, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in candidate.targets
            ):
                found = string_value(candidate.value)
                if found is not None:
                    return found
    return None


def _reads_ui_value(cell: Cell, node: ast.AST) -> bool:
    """`model_choice.value`, or a name this cell assigned from one."""
    if any(isinstance(sub, ast.Attribute) and sub.attr == "value" for sub in ast.walk(node)):
        return True
    if isinstance(node, ast.Name):
        for candidate in cell.scope_nodes(cell.body):
            if isinstance(candidate, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in candidate.targets
            ):
                return _reads_ui_value(cell, candidate.value)
    return False


TRAINER_CLASS = re.compile(r"Trainer$")
TRAINING_KEYWORDS = {"epochs", "max_epochs", "num_epochs", "steps_per_epoch", "max_steps"}


def trainer_names(notebook: Notebook) -> set[str]:
    """Names bound to a trainer object: `trainer = SFTTrainer(...)`, `t = pl.Trainer(...)`."""
    if "trainer_names" not in notebook.memo:
        names: set[str] = set()
        for cell in notebook.parsed_cells:
            for node in cell.nodes:
                if isinstance(node, ast.Assign) and is_trainer_construction(notebook, node.value):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        notebook.memo["trainer_names"] = names
    return notebook.memo["trainer_names"]


def is_trainer_construction(notebook: Notebook, node: ast.AST) -> bool:
    """`SFTTrainer(model=..., train_dataset=...)`, `Trainer(...)`: a trainer is built."""
    if not isinstance(node, ast.Call):
        return False
    name = (notebook.names.call_name(node) or "").rsplit(".", 1)[-1]
    return bool(TRAINER_CLASS.search(name))


def is_training_call(notebook: Notebook, node: ast.AST) -> bool:
    """A call that runs a whole training: `trainer.train()` (transformers, TRL), `trainer.fit(
    model)` (Lightning), `model.fit(x, y, epochs=5)` (Keras), `YOLO(...).train(data=...,
    epochs=...)` (ultralytics). `model.train()` (a mode switch) and scikit-learn's `fit(X, y)`
    are not."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr not in ("train", "fit"):
        return False
    receiver = node.func.value
    receiver_text = ast.unparse(receiver).lower()
    if "trainer" in receiver_text or is_trainer_construction(notebook, receiver):
        return True
    if isinstance(receiver, ast.Name) and receiver.id in trainer_names(notebook):
        return True
    if any(kw.arg in TRAINING_KEYWORDS for kw in node.keywords):
        return True
    return node.func.attr == "train" and keyword(node, "data") is not None
