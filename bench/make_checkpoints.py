"""Build N GRADIEND checkpoint folders with the real bert-base shapes (input_dim 108,891,648) from random data.

Weights are heavy-tailed (normal x lognormal) with planted shared components, so top-k overlaps between runs are
non-trivial, as for real GRADIENDs of one base model. Files are written tensor by tensor (memory ~ one tensor).

    python bench/make_checkpoints.py /tmp/bert_runs --runs 8 [--dtype float32]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

HIDDEN, LAYERS, INTERMEDIATE, VOCAB, POSITIONS = 768, 12, 3072, 30522, 512
DTYPES = {"float32": ("F32", np.float32), "float16": ("F16", np.float16), "float64": ("F64", np.float64)}


def bert_base_params() -> list[tuple[str, tuple[int, ...]]]:
    """bert-base backbone parameters in GRADIEND input order (the MLM head and pooler are not mapped)."""
    params = [
        ("bert.embeddings.word_embeddings.weight", (VOCAB, HIDDEN)),
        ("bert.embeddings.position_embeddings.weight", (POSITIONS, HIDDEN)),
        ("bert.embeddings.token_type_embeddings.weight", (2, HIDDEN)),
        ("bert.embeddings.LayerNorm.weight", (HIDDEN,)),
        ("bert.embeddings.LayerNorm.bias", (HIDDEN,)),
    ]
    for i in range(LAYERS):
        p = f"bert.encoder.layer.{i}"
        for name in ("query", "key", "value"):
            params += [(f"{p}.attention.self.{name}.weight", (HIDDEN, HIDDEN)), (f"{p}.attention.self.{name}.bias", (HIDDEN,))]
        params += [
            (f"{p}.attention.output.dense.weight", (HIDDEN, HIDDEN)), (f"{p}.attention.output.dense.bias", (HIDDEN,)),
            (f"{p}.attention.output.LayerNorm.weight", (HIDDEN,)), (f"{p}.attention.output.LayerNorm.bias", (HIDDEN,)),
            (f"{p}.intermediate.dense.weight", (INTERMEDIATE, HIDDEN)), (f"{p}.intermediate.dense.bias", (INTERMEDIATE,)),
            (f"{p}.output.dense.weight", (HIDDEN, INTERMEDIATE)), (f"{p}.output.dense.bias", (HIDDEN,)),
            (f"{p}.output.LayerNorm.weight", (HIDDEN,)), (f"{p}.output.LayerNorm.bias", (HIDDEN,)),
        ]
    return params


def input_dim() -> int:
    return sum(int(np.prod(shape)) for _, shape in bert_base_params())


def heavy_tailed(rng: np.random.Generator, n: int, shared: tuple[np.ndarray, np.ndarray], dtype) -> np.ndarray:
    values = rng.standard_normal(n, dtype=np.float32)
    values *= np.exp(0.7 * rng.standard_normal(n, dtype=np.float32))
    # Each run amplifies a random 60 % of two shared pools (a small strong one, a large mild one), so overlaps
    # between runs are partial at top-1000 and at top-1 %, not 0 or 100 %.
    for pool, factor in zip(shared, (40.0, 4.0), strict=True):
        planted = pool[rng.random(len(pool)) < 0.6]
        values[planted] *= factor
    return values.astype(dtype, copy=False)


def write_checkpoint(folder: Path, seed: int, shared: tuple[np.ndarray, np.ndarray], dtype_name: str = "float32") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    code, dtype = DTYPES[dtype_name]
    dim = input_dim()
    item = np.dtype(dtype).itemsize
    layout = [("decoder.0.linear.bias", (dim,)), ("decoder.0.linear.weight", (dim, 1)),
              ("encoder.0.linear.bias", (1,)), ("encoder.0.linear.weight", (1, dim))]
    header, offset = {}, 0
    for name, shape in layout:
        size = int(np.prod(shape)) * item
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    rng = np.random.default_rng(seed)
    with open(folder / "model.safetensors", "wb") as out:
        out.write(len(raw).to_bytes(8, "little") + raw)
        for name, shape in layout:
            n = int(np.prod(shape))
            values = np.array([0.01], dtype) if n == 1 else heavy_tailed(rng, n, shared, dtype)
            if name == "decoder.0.linear.bias":
                values *= 0.05
            out.write(values.tobytes())
            del values
    param_map = [{"name": name, "shape": list(shape), "repr": "all", "num_selected": int(np.prod(shape))}
                 for name, shape in bert_base_params()]
    config = {"format_version": 0,
              "architecture": {"input_dim": dim, "latent_dim": 1, "activation_encoder": "tanh", "activation_decoder": "id",
                               "bias_decoder": True, "torch_dtype": dtype_name},
              "mapping": {"mode": "all", "param_map": param_map},
              "metadata": {"base_model": "bert-base-cased"}}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "gradiend_context.json").write_text(json.dumps(
        {"source": "alternative", "target": "diff", "feature_class_encoding_direction": {"he": 1, "she": -1}}))
    (folder / "training.json").write_text(json.dumps({
        "training_stats": {"scores": {"0": 0.1, "100": 0.9}, "label_value_to_class_name": {"1.0": "he", "-1.0": "she"}},
        "best_score_checkpoint": {"correlation": 0.9, "global_step": 100, "epoch": 1},
        "training_args": {"source": "alternative", "target": "diff"},
        "convergence_info": {"converged": seed % 5 != 4}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    args = parser.parse_args()
    pools = np.random.default_rng(12345).choice(input_dim(), size=2_003_000, replace=False)
    shared = (pools[:3_000], pools[3_000:])
    for i in range(args.runs):
        folder = args.root / f"run_{i:03d}" / "model"
        if (folder / "model.safetensors").is_file():
            continue
        start = time.perf_counter()
        write_checkpoint(folder, seed=i, shared=shared, dtype_name=args.dtype)
        print(f"{folder.parent.name}: {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
