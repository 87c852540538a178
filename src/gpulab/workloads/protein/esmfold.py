"""ESMFold through transformers: build it (real weights, random esmfold_v1, or tiny), fold, time.

Real weights load from a local path or the Hugging Face cache when present (never downloaded by
this code). Offline the full esmfold_v1 architecture is built with random weights: its speed and
memory are real, its structures are not (the UI labels them so). The tiny config runs the same
code path on a CPU in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab import repro

from .config import AMINO_ACIDS, ESM_TINY, check_sequence
from .structures import require

# esmfold_v1's published config.json: ESM-2 3B (36 layers x 2560) and a 48-block folding trunk.
ESM_V1 = {
    "hidden_size": 2560,
    "num_hidden_layers": 36,
    "num_attention_heads": 40,
    "intermediate_size": 10240,
    "trunk": {"num_blocks": 48, "sequence_state_dim": 1024, "pairwise_state_dim": 128},
    "lddt_head_hid_dim": 128,
    "fp16_esm": True,
}
ESM_TINY_SIZES = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "trunk": {
        "num_blocks": 1,
        "sequence_state_dim": 32,
        "pairwise_state_dim": 16,
        "sequence_head_width": 8,
        "pairwise_head_width": 8,
        "max_recycles": 1,
        "structure_module": {
            "sequence_dim": 32,
            "pairwise_dim": 16,
            "ipa_dim": 8,
            "resnet_dim": 8,
            "num_heads_ipa": 2,
            "num_qk_points": 2,
            "num_v_points": 2,
            "num_blocks": 1,
        },
    },
    "lddt_head_hid_dim": 8,
    "fp16_esm": False,
}


def esm_config(arch: str) -> Any:
    """The transformers EsmConfig of `arch` (tiny or esmfold_v1)."""
    require("transformers", "ESMFold")
    from transformers import EsmConfig

    sizes = ESM_TINY_SIZES if arch == ESM_TINY else ESM_V1
    return EsmConfig(
        vocab_size=33,
        hidden_size=sizes["hidden_size"],
        num_hidden_layers=sizes["num_hidden_layers"],
        num_attention_heads=sizes["num_attention_heads"],
        intermediate_size=sizes["intermediate_size"],
        max_position_embeddings=1026,
        position_embedding_type="rotary",
        token_dropout=True,
        mask_token_id=32,
        pad_token_id=1,
        emb_layer_norm_before=False,
        is_folding_model=True,
        esmfold_config={
            "trunk": sizes["trunk"],
            "fp16_esm": sizes["fp16_esm"],
            "lddt_head_hid_dim": sizes["lddt_head_hid_dim"],
        },
        vocab_list=None,
    )


def parameter_count(arch: str) -> int:
    """Parameters of `arch`, counted on the meta device (nothing allocated)."""
    import torch
    from transformers import EsmForProteinFolding

    with torch.device("meta"):
        model = EsmForProteinFolding(esm_config(arch))
    return sum(p.numel() for p in model.parameters())


@dataclass
class Folder:
    """A built ESMFold and what it is: `random_weights` structures are not predictions."""

    model: Any
    arch: str
    random_weights: bool
    device: str
    source: str


def build(
    arch: str, device: str, trunk_dtype: str = "float32", weights: str = "", seed: int = 0
) -> Folder:
    """Real weights from `weights` (a local path or cached hub id), else random `arch`."""
    import torch

    require("transformers", "ESMFold")
    from transformers import EsmForProteinFolding

    repro.seed_everything(seed)
    if weights:
        model = EsmForProteinFolding.from_pretrained(weights, local_files_only=True)
        folder = Folder(model, "esmfold_v1", False, device, weights)
    else:
        with torch.device(device):
            model = EsmForProteinFolding(esm_config(arch))
        folder = Folder(model, arch, True, device, f"random weights ({arch})")
    model = model.to(device).eval()
    if device.startswith("cuda") and model.config.esmfold_config.fp16_esm:
        model.esm.half()
    if trunk_dtype == "bfloat16":
        model.trunk.to(torch.bfloat16)
    folder.model = model
    return folder


def random_sequence(length: int, seed: int) -> str:
    """A sequence of `length` residues drawn uniformly from the 20 amino acids."""
    import numpy as np

    rng = np.random.default_rng(seed + length)
    return "".join(rng.choice(list(AMINO_ACIDS), size=length))


def fold(folder: Folder, sequence: str, chunk_size: int | None = None) -> dict[str, Any]:
    """Fold one sequence: PDB text (pLDDT in the B-factor column) and mean pLDDT."""
    import torch

    sequence = check_sequence(sequence)
    folder.model.trunk.set_chunk_size(chunk_size)
    with torch.inference_mode():
        output = folder.model.infer([sequence])
    pdb = folder.model.output_to_pdb(output)[0]
    plddt = output["plddt"][0, :, 1].float()  # per residue, at CA
    return {"pdb": pdb, "mean_plddt": float(plddt.mean()), "length": len(sequence)}
