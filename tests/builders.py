"""Build small but real GRADIEND run folders for tests (the same files gradiend writes, FORMAT.md)."""

from __future__ import annotations

import json
from math import prod
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

PARAMS = [("layer.0.weight", (6, 4)), ("layer.0.bias", (6,)), ("layer.1.weight", (5, 6))]  # 24 + 6 + 30 = 60
BASE_DIM = sum(prod(shape) for _, shape in PARAMS)


def write_checkpoint(folder: Path, *, seed: int = 0, latent: int = 1, selection: dict[int, np.ndarray] | None = None,
                     dtype=np.float32, weights: str = "safetensors", bias: bool = True,
                     training: dict | None = None, pair=("he", "she")) -> dict:
    """A checkpoint folder; `selection` maps param position -> selected flat indices (pruned when given).

    Returns {"decoder": W_dec, "encoder": W_enc, "bias": b, "base": base indices of local inputs}.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    param_map, base, indices, masks, offset = [], [], {}, {}, 0
    for i, (name, shape) in enumerate(PARAMS):
        numel = prod(shape)
        chosen = np.arange(numel) if selection is None or i not in selection else np.asarray(selection[i])
        entry = {"name": name, "shape": list(shape), "repr": "all", "num_selected": int(len(chosen))}
        if selection is not None and i in selection:
            entry["key"] = f"L{i}"
            if i % 2 == 0:
                entry["repr"] = "indices"
                indices[f"L{i}"] = chosen.astype(np.int32)
            else:
                entry["repr"] = "mask"
                mask = np.zeros(numel, np.uint8)
                mask[chosen] = 1
                masks[f"L{i}"] = mask.reshape(shape)
        param_map.append(entry)
        base.extend((chosen + offset).tolist())
        offset += numel
    dim = len(base)
    mapping = {"mode": "mixed" if selection else "all", "param_map": param_map}
    if indices:
        mapping["indices_file"] = "mapping_indices.safetensors"
        save_file(indices, str(folder / "mapping_indices.safetensors"))
    if masks:
        mapping["masks_file"] = "mapping_masks.safetensors"
        save_file(masks, str(folder / "mapping_masks.safetensors"))
    config = {
        "format_version": 0,
        "architecture": {"input_dim": dim, "latent_dim": latent, "activation_encoder": "tanh",
                         "activation_decoder": "id", "bias_decoder": bias, "torch_dtype": "float32"},
        "mapping": mapping,
        "metadata": {"base_model": "/elsewhere/tiny-bert"},
    }
    (folder / "config.json").write_text(json.dumps(config))
    tensors = {
        "encoder.0.linear.weight": rng.standard_t(3, (latent, dim)).astype(dtype),
        "encoder.0.linear.bias": rng.normal(size=(latent,)).astype(dtype),
        "decoder.0.linear.weight": rng.standard_t(3, (dim, latent)).astype(dtype),
    }
    if bias:
        tensors["decoder.0.linear.bias"] = rng.normal(size=(dim,)).astype(dtype)
    if weights == "safetensors":
        save_file(tensors, str(folder / "model.safetensors"))
    elif weights == "bin":
        import torch

        torch.save({k: torch.from_numpy(v) for k, v in tensors.items()}, folder / "pytorch_model.bin")
    (folder / "gradiend_context.json").write_text(json.dumps(
        {"source": "alternative", "target": "diff", "feature_class_encoding_direction": {pair[0]: 1, pair[1]: -1}}))
    (folder / "training.json").write_text(json.dumps(training or training_json(pair=pair)))
    return {"decoder": tensors["decoder.0.linear.weight"], "encoder": tensors["encoder.0.linear.weight"],
            "bias": tensors.get("decoder.0.linear.bias"), "base": np.asarray(base)}


def training_json(*, steps=(0, 10, 20), pair=("he", "she"), converged: bool | None = True, best_step: int = 20) -> dict:
    corr = {str(s): min(0.99, 0.3 + s / 25) for s in steps}
    mean = {str(s): {"-1.0": -min(0.95, s / 21), "1.0": min(0.95, s / 21)} for s in steps}
    by_feature = {str(s): {pair[0]: v["1.0"], pair[1]: v["-1.0"]} for s, v in mean.items()}
    data = {
        "training_stats": {
            "global_step": steps[-1], "correlation": corr[str(steps[-1])], "scores": corr,
            "mean_by_class": mean, "mean_by_feature_class": by_feature,
            "min_by_class": {s: {k: v - 0.1 for k, v in m.items()} for s, m in mean.items()},
            "max_by_class": {s: {k: v + 0.1 for k, v in m.items()} for s, m in mean.items()},
            "label_value_to_class_name": {"1.0": pair[0], "-1.0": pair[1]},
        },
        "best_score_checkpoint": {"correlation": corr[str(best_step)], "global_step": best_step, "epoch": 1},
        "training_args": {"source": "alternative", "target": "diff", "experiment_dir": "/cluster/runs", "output_dir": "/cluster/runs/x"},
        "losses": [0.5] * steps[-1],
    }
    if converged is not None:
        data["convergence_info"] = {"converged": converged, "convergent_count": int(converged), "min_convergent_seeds": 1,
                                    "convergence_metric": "correlation", "threshold": 0.5, "convergent_mean_by_class_threshold": 0.5}
    return data


def write_encoded_csv(run_folder: Path, key: str = "split_test", *, pair=("he", "she"), n: int = 20, seed: int = 0,
                      neutral: int = 6) -> Path:
    rng = np.random.default_rng(seed)
    header = "text,encoded,label,source_id,target_id,feature_class_id,eval_group,type,source_token,factual_token,alternative_token,template,data_split"
    lines = [header]
    for i in range(n):
        label = 1.0 if i % 2 == 0 else -1.0
        cls = pair[0] if label > 0 else pair[1]
        other = pair[1] if label > 0 else pair[0]
        lines.append(f"{other} sat down {i}.,{label * 0.9 + rng.normal(0, 0.05):.6f},{label},{cls},{cls},{int(label > 0)},"
                     f"{float(label > 0)},training,{cls},{other},{cls},[MASK] sat down {i}.,test")
    for i in range(neutral):
        lines.append(f"the cat {i} sat.,{rng.normal(0, 0.1):.6f},0.0,neutral,neutral,0,,neutral_training_masked,cat,cat,cat,the [MASK] {i} sat.,test")
    path = run_folder / f"encoded_values_{key}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_run(root: Path, run_id: str, **kwargs) -> dict:
    """A run folder `root/run_id` with model/ and an encoder CSV."""
    folder = root / run_id
    made = write_checkpoint(folder / "model", **kwargs)
    write_encoded_csv(folder, pair=kwargs.get("pair", ("he", "she")))
    return made


def topk_reference(importance: np.ndarray, k: int) -> list[int]:
    """Local indices by descending importance, lower index first among equals (the stable rule)."""
    order = sorted(range(len(importance)), key=lambda i: (-float(importance[i]), i))
    return order[:k]
