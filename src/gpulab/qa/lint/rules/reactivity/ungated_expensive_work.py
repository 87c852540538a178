"""GL205 ungated-expensive-work."""

from __future__ import annotations

from collections.abc import Iterator

from gpulab.qa.lint.analysis import runs_on_load
from gpulab.qa.lint.gates import gated_before, under_ui_condition
from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.work import expensive_work


class UngatedExpensiveWork(Rule):
    """Training, model downloads or benchmarks that start as soon as the notebook opens.

    ## What it does
    Finds expensive work at the top level of a cell (training loops with `.backward()` or
    `optimizer.step()`; whole trainings: `trainer.train()` (transformers, TRL), building an
    `SFTTrainer`/`Trainer` on a dataset, Lightning's `trainer.fit(model)`, Keras's
    `model.fit(..., epochs=...)`, ultralytics' `YOLO(...).train(data=..., epochs=...)`;
    `*.from_pretrained(...)` and other model-weight downloads (`hf_hub_download`,
    `snapshot_download`, `transformers.pipeline`, `torch.hub.load`, torchvision `weights=`);
    runs of a diffusers pipeline (`pipe(prompt)`); timed benchmark loops, `timeit`/`do_bench`;
    notebook functions that do these) when nothing gates it:

    - no `mo.stop(...)` earlier in the cell and no cell it depends on that can stop (for example
      `mo.stop(not run_button.value)` in an ancestor);
    - no gpulab `run_gate(button, profile)`, or notebook function that stops;
    - not inside `if run_button.value:` (or any `if` on a UI element's `.value`, directly or
      through a name: `running = switch.value` ... `if running:`);
    - the cell is not disabled.

    A stop that only checks for a GPU (`mo.stop(not torch.cuda.is_available())`,
    `require_gpu()`) does not count: on a GPU machine it stops nothing. A scikit-learn
    `fit(X, y)` and `model.train()` (a mode switch) are not expensive work, nor is loading a
    test model of a few megabytes (`sshleifer/tiny-gpt2`, `hf-internal-testing/tiny-random-*`)
    or running a built `pipeline` on text (`pipeline = pipeline(...)`, then `pipeline("Hi")`).

    ## Why it matters
    marimo runs every cell when a notebook opens and re-runs dependents whenever an input
    changes. An ungated fine-tune or a 5 GB download starts on open, again on every slider
    nudge, and blocks the kernel meanwhile. The reader should decide when the GPU is spent.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
    ```

    ## Fix
    ```python
    load_button = mo.ui.run_button(label="Load model")
    load_button
    ```
    ```python
    mo.stop(not load_button.value, mo.md("Press **Load model** to download 16 GB of weights."))
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
    ```
    """

    code = "GL205"
    name = "ungated-expensive-work"
    severity = Severity.WARNING
    summary = "Training, `from_pretrained` or benchmarks not behind a run button or `mo.stop`"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            if not runs_on_load(cell):
                continue
            for node, description in expensive_work(notebook, cell.body):
                waits_for_reader = gated_before(notebook, cell, node, user_only=True)
                if waits_for_reader or under_ui_condition(cell, node):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    node,
                    f"{description} runs as soon as the notebook opens and on every re-run; "
                    "put it behind `mo.ui.run_button()` with `mo.stop(not button.value, ...)`",
                )
                break
