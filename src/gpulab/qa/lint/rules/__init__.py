"""Every gpulab rule, one per module; the registry adds marimo's own breaking/runtime rules."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.absolute_path import AbsolutePath
from gpulab.qa.lint.rules.cuda_without_oom_handling import CudaWithoutOomHandling
from gpulab.qa.lint.rules.del_without_empty_cache import DelWithoutEmptyCache
from gpulab.qa.lint.rules.deprecated_amp import DeprecatedAmp
from gpulab.qa.lint.rules.file_problems import InternalError, NotANotebook, SyntaxErrorInFile
from gpulab.qa.lint.rules.gpu_without_stop import GpuWithoutStop
from gpulab.qa.lint.rules.hardcoded_claim import HardcodedClaim
from gpulab.qa.lint.rules.hidden_output import HiddenOutput
from gpulab.qa.lint.rules.kill_by_name import KillByName
from gpulab.qa.lint.rules.loop_without_progress import LoopWithoutProgress
from gpulab.qa.lint.rules.missing_requirements_doc import MissingRequirementsDoc
from gpulab.qa.lint.rules.on_change_handler import OnChangeHandler
from gpulab.qa.lint.rules.refresh_misuse import RefreshMisuse
from gpulab.qa.lint.rules.shell_install import ShellInstall
from gpulab.qa.lint.rules.timing_without_warmup import TimingWithoutWarmup
from gpulab.qa.lint.rules.ui_value_in_defining_cell import UiValueInDefiningCell
from gpulab.qa.lint.rules.ungated_expensive_work import UngatedExpensiveWork
from gpulab.qa.lint.rules.unread_pipe import UnreadPipe
from gpulab.qa.lint.rules.unseeded_random import UnseededRandom
from gpulab.qa.lint.rules.unsynchronized_timing import UnsynchronizedTiming

# Files that cannot be linted as notebooks; reported by the engine, not by a check().
FILE_RULES: list[type[Rule]] = [InternalError, NotANotebook, SyntaxErrorInFile]

# Code scheme: GL1xx GPU, GL2xx marimo reactivity and UI, GL3xx safety, GL4xx measurement,
# GL5xx documentation. Codes are never reused.
NOTEBOOK_RULES: list[type[Rule]] = [
    GpuWithoutStop,
    CudaWithoutOomHandling,
    DelWithoutEmptyCache,
    DeprecatedAmp,
    HiddenOutput,
    RefreshMisuse,
    UiValueInDefiningCell,
    OnChangeHandler,
    UngatedExpensiveWork,
    LoopWithoutProgress,
    ShellInstall,
    KillByName,
    UnreadPipe,
    AbsolutePath,
    UnsynchronizedTiming,
    TimingWithoutWarmup,
    UnseededRandom,
    HardcodedClaim,
    MissingRequirementsDoc,
]
