"""GL2xx: marimo reactivity, UI and editor: unseen output, UI that never updates, unasked or
silent work, cells the editor rewrites."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.reactivity.cell_not_in_saved_form import CellNotInSavedForm
from gpulab.qa.lint.rules.reactivity.hidden_output import HiddenOutput
from gpulab.qa.lint.rules.reactivity.loop_without_progress import LoopWithoutProgress
from gpulab.qa.lint.rules.reactivity.markdown_cell_rewritten import MarkdownCellRewritten
from gpulab.qa.lint.rules.reactivity.on_change_handler import OnChangeHandler
from gpulab.qa.lint.rules.reactivity.refresh_misuse import RefreshMisuse
from gpulab.qa.lint.rules.reactivity.ui_element_without_value import UiElementWithoutValue
from gpulab.qa.lint.rules.reactivity.ui_value_in_defining_cell import UiValueInDefiningCell
from gpulab.qa.lint.rules.reactivity.undefined_name import UndefinedName
from gpulab.qa.lint.rules.reactivity.ungated_expensive_work import UngatedExpensiveWork

RULES: dict[str, type[Rule]] = {
    "GL201": HiddenOutput,
    "GL202": RefreshMisuse,
    "GL203": UiValueInDefiningCell,
    "GL204": OnChangeHandler,
    "GL205": UngatedExpensiveWork,
    "GL206": LoopWithoutProgress,
    "GL207": MarkdownCellRewritten,
    "GL208": CellNotInSavedForm,
    "GL209": UndefinedName,
    "GL210": UiElementWithoutValue,
}
