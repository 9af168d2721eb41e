"""Where a base-model parameter sits, from its name alone: its layer and its component.

Layers: `embeddings` (embedding tables and their LayerNorm), `layer.<i>` (the name holds `.layer.<i>.`, or
`.layers.<i>.` / `.h.<i>.`, the other spellings gradiend's own grouping="layer" knows), else `other`.
Components: the BERT names (query, key, value, attention output, intermediate, output, LayerNorm, embeddings) and
their usual spellings in DistilBERT, GPT-2 and Llama-style models. A name no pattern knows keeps its last two name
parts before `.weight`/`.bias` (`bert.pooler.dense.weight` -> `pooler.dense`), so the weight and the bias of one
module stay one component, as they do for the known ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

EMBEDDINGS = "embeddings"
OTHER = "other"
ATTENTION_OUTPUT = "attention output"
HEAD_COMPONENTS = ("query", "key", "value")  # their output rows split into attention heads
FEED_FORWARD = ("intermediate", "output")
COMPONENTS = (EMBEDDINGS, *HEAD_COMPONENTS, ATTENTION_OUTPUT, *FEED_FORWARD, "LayerNorm")  # drawing order

_LAYER = re.compile(r"(?:^|\.)(?:layer|layers|h)\.(\d+)\.")
_EMBEDDING_PART = re.compile(r"(?:^|\.)(?:embeddings|embed_tokens|embed_positions|wte|wpe)(?:\.|$)")
# First match wins: LayerNorm before "attention.output" (attention.output.LayerNorm is a LayerNorm).
_COMPONENT_PATTERNS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), c) for p, c in (
    (r"(?:^|\.)(?:LayerNorm|layer_norm|layernorm|\w*_layer_norm|\w*_layernorm|ln_\w+|norm)\.", "LayerNorm"),
    (r"(?:^|\.)(?:\w+_embeddings|embed_tokens|embed_positions|wte|wpe)\.", EMBEDDINGS),
    (r"(?:^|\.)(?:query|q_proj|q_lin)\.", "query"),
    (r"(?:^|\.)(?:key|k_proj|k_lin)\.", "key"),
    (r"(?:^|\.)(?:value|v_proj|v_lin)\.", "value"),
    (r"(?:^|\.)(?:attention\.output\.dense|o_proj|out_lin|out_proj|attn\.c_proj)\.", ATTENTION_OUTPUT),
    (r"(?:^|\.)(?:intermediate\.dense|up_proj|gate_proj|ffn\.lin1|mlp\.c_fc|fc1)\.", "intermediate"),
    (r"(?:^|\.)(?:output\.dense|down_proj|ffn\.lin2|mlp\.c_proj|fc2)\.", "output"),
))
_SUFFIX = re.compile(r"\.(?:weight|bias)$")


@dataclass(frozen=True)
class Place:
    layer: str  # "embeddings" | "layer.<i>" | "other"
    component: str
    known: bool  # False: no pattern knew the name (its component is its last two name parts)


@lru_cache(maxsize=65536)  # every run of a model names the same parameters
def place_of(name: str) -> Place:
    """The layer and component of a parameter called `name`."""
    found = _LAYER.search(name)
    layer = f"layer.{int(found.group(1))}" if found else (EMBEDDINGS if _EMBEDDING_PART.search(name) else OTHER)
    dotted = _SUFFIX.sub("", name) + "."  # every part, the last one included, ends in a dot for the patterns
    for pattern, component in _COMPONENT_PATTERNS:
        if pattern.search(dotted):
            return Place(layer, component, True)
    parts = _SUFFIX.sub("", name).split(".")
    return Place(layer, ".".join(parts[-2:]) or name, False)


def layer_sort_key(layer: str) -> tuple:
    """embeddings first, then layer.0, layer.1, ... in number order, then anything else."""
    if layer == EMBEDDINGS:
        return (0, 0)
    if layer.startswith("layer.") and layer[6:].isdigit():
        return (1, int(layer[6:]))
    return (2, 0)


# Hidden sizes whose number of attention heads is well known (head size 64: BERT tiny/mini/small/base/large,
# RoBERTa, DistilBERT, GPT-2 small to xl; 4096: Llama-2-7B's 32 heads of 128). Others are left for the user.
KNOWN_HEADS = {128: 2, 256: 4, 512: 8, 768: 12, 1024: 16, 1280: 20, 1600: 25, 4096: 32}


def known_heads(hidden: int) -> int | None:
    return KNOWN_HEADS.get(int(hidden))
