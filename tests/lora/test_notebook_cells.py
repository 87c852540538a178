"""The notebook's wiring, read from its source: results live in mo.state and are shown by cells
that no setting and no run cell feeds, so an invalid setting (rank 0) or a failed run leaves the
last good results on screen; the run cells show the failure and report progress."""

from __future__ import annotations

import ast
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "llm_finetuning.py"


def _cells() -> list[tuple[set[str], set[str], str]]:
    """(names read, names defined, source) of every `@app.cell`."""
    source = NOTEBOOK.read_text(encoding="utf-8")
    cells = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        reads = {a.arg for a in node.args.args}
        defines: set[str] = set()
        last = node.body[-1]
        if isinstance(last, ast.Return) and last.value is not None:
            value = last.value
            items = value.elts if isinstance(value, ast.Tuple) else [value]
            defines = {i.id for i in items if isinstance(i, ast.Name)}
        cells.append((reads, defines, ast.get_source_segment(source, node) or ""))
    return cells


def _descendants(cells, roots: set[str]) -> list[str]:
    """Sources of every cell that reads, directly or not, one of `roots`."""
    names, found, changed = set(roots), [], True
    while changed:
        changed = False
        for reads, defines, source in cells:
            if reads & names and source not in found:
                found.append(source)
                names |= defines
                changed = True
    return found


def test_results_cells_do_not_hang_off_the_settings_or_the_run_cells() -> None:
    cells = _cells()
    shown = [s for reads, _, s in cells if reads & {"get_finetune", "get_export", "get_comparison"}]
    shown = [s for s in shown if "set_" not in s]  # the display cells, not the run cells
    assert len(shown) == 4  # training, did it learn, export, comparison
    downstream = _descendants(cells, {"settings", "config", "train_button", "bench_button"})
    assert [s for s in shown if s in downstream] == []


def test_run_cells_keep_results_show_errors_and_report_progress() -> None:
    runs = [s for _, _, s in _cells() if "run_gate(" in s]
    assert len(runs) == 4  # load, fine-tune, export, comparison
    for source in runs:
        assert "results_kept=True" in source
        assert "set_" in source  # the state is set only after the step succeeded
    for source in runs[1:]:
        assert "work_progress(" in source and "progress=_bar" in source
    # Invalid settings stop the run with the full, listed message before any work starts.
    assert sum("mo.stop(not settings.ok, settings_error)" in s for s in runs) == 1
    assert sum("mo.stop(settings.config is None, settings_error)" in s for s in runs) == 1


def test_defaults_come_from_the_profile_config() -> None:
    source = NOTEBOOK.read_text(encoding="utf-8")
    assert "lora.FinetuneConfig.for_profile(profile.name)" in source
    assert "gpu_card(system, profile)" in source and "run_guide(profile, _buttons)" in source


def test_the_speed_switches_reach_the_training_config() -> None:
    """torch.compile and the CUDA graph are shown as switches (on where CUDA is) and passed to
    the checked settings, which every run cell trains from."""
    (settings_cell,) = [s for _, _, s in _cells() if "lora.check_settings(" in s]
    assert "compile=compile_layers.value" in settings_cell
    assert "cuda_graph=cuda_graph.value" in settings_cell
    (widgets,) = [s for _, defines, s in _cells() if "cuda_graph" in defines]
    assert 'mo.ui.switch(value=system.cuda_available, label="CUDA graph")' in widgets
