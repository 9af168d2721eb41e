"""Which way a run's decoder moves the base model to strengthen a class (FORMAT.md §2.4), for a discovered run.

The rules are the decoder view's (`analysis.decoder`: gradiend's source resolution and `feature_factor =
±direction`); this module applies them to a catalog run: the direction from `gradiend_context.json`, else the pair
discovery found in training.json's label names (pre-pruned checkpoints omit the direction: pair[0] → +1, pair[1] →
-1), and the source from training.json's `training_args.source` over the context's.
"""

from __future__ import annotations

from gradiend_st.analysis.decoder import class_feature_factors, decoder_source
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object


def training_source(run) -> str:
    """The source a run was trained with (gradiend's rule: training.json, else gradiend_context.json, else factual)."""
    return decoder_source(run.context.source if run.context else None, _trained_source(run))


def _trained_source(run) -> str | None:
    if not run.training_path.is_file():
        return None
    try:
        args = read_json_object(run.training_path).get("training_args")
    except RunReadError:
        return None
    return args.get("source") if isinstance(args, dict) else None


def class_directions(run) -> dict[str, int]:
    """{class: +1 / -1} of the run's target pair (the context's direction, else the discovered pair)."""
    if run.context is not None:
        found = {c: d for c, d in run.context.direction.items() if d in (1, -1)}
        if len(found) == 2:
            return found
    if len(run.classes) == 2:
        return {run.classes[0]: 1, run.classes[1]: -1}
    return {}


def strengthening_factor(run, class_name: str, source: str | None = None) -> int | None:
    """The decoder feature factor that strengthens `class_name` in `run` (None: not one of its classes)."""
    factor = class_feature_factors(class_directions(run), source or training_source(run)).get(class_name)
    return None if factor is None else int(factor)


def shared_class(run_a, run_b) -> str | None:
    """A class both runs target: run a's +1 class when both have it, else its -1 class; None when they share none."""
    a, b = class_directions(run_a), class_directions(run_b)
    common = [c for c in sorted(a, key=lambda c: -a[c]) if c in b]
    return common[0] if common else None
