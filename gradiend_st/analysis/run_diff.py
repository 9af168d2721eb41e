"""Runs as experiments: what each run was trained with (`training.json → training_args`, FORMAT.md §5) and what it
reached, and exactly which arguments differ between the runs compared.

`run_facts` reads one run's training.json once (cached on the size and mtime of the files it reads), with
`decoder=True` also the decoder's selected ΔP and LMS ratio (a second cache: the grid is read only when asked for);
`run_diff` compares runs. The Runs page ("only what differs"), `gradiend-st runs --diff` and the Sweep view (grid,
parallel coordinates) read these.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from gradiend_st.analysis.convergence import convergence_status, seed_report_of
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object
from gradiend_st.io.training import TrainingLog

# Where the run was written on the training machine (FORMAT.md §1.5): differs between every two runs, tells nothing.
MACHINE_PATHS = frozenset({"experiment_dir", "output_dir"})
# gradiend 0.2.3's defaults of the nested configs (trainer/core/pruning.py): their compact text names what differs.
NESTED_DEFAULTS = {
    "pre_prune_config": {"n_samples": 8, "topk": 0.1, "threshold": None, "source": "alternative", "batch_size": 8,
                         "feature_class_key": "feature_class_id", "target_feature_class_ids": None, "dataset": None,
                         "use_cached_gradients": False, "seed": None, "use_streaming": None},
    "post_prune_config": {"topk": 0.01, "threshold": None, "mask": None, "part": "decoder-weight", "inplace": True,
                          "return_mask": False},
}
# The metrics every run has a column for (name -> label); further numeric training and decoder metrics follow.
STANDARD_METRICS = {"best_correlation": "best correlation", "converged": "converged", "steps": "steps",
                    "best_step": "best step", "training_time": "training time (s)", "input_dim": "input_dim"}
# training.json sections whose numeric scalars are metrics ("time.eval", "convergence_info.convergent_count", ...)
METRIC_SECTIONS = ("time", "best_score_checkpoint", "convergence_info", "abs_mean_by_type", "seed_stability")
DUPLICATES = ("time.total", "best_score_checkpoint.correlation", "best_score_checkpoint.global_step")
# "decoder_dp.he": ΔP of class he at the cell gradiend's decoder selection picks; ".mean": over the run's classes
DECODER_METRICS = ("decoder_dp", "lms_ratio")
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class RunFacts:
    """One run as an experiment: its training arguments as stored, and its numbers."""

    run_id: str
    kind: str
    args: dict | None  # training_args as stored; None: no readable training.json
    metrics: dict[str, float] = field(default_factory=dict)  # name -> finite number; a missing name = not known
    converged: bool | None = None
    problem: str | None = None  # "file: problem" when training.json could not be used
    decoder_problem: str | None = None  # the same for the decoder grid (asked for with decoder=True)


# ------------------------------------------------------------------------------------------------ one run


_read: dict[tuple, object] = {}  # (what, root, run id, stats of the files read) -> what was read; shared by sessions
_lock = threading.Lock()


def run_facts(catalog, run, *, decoder: bool = False) -> RunFacts:
    """The run's facts (with `decoder`, its decoder metrics too), read again only when a file they come from
    changed."""
    facts = _cached("training", catalog, run, (run.training_path, run.seed_report_path,
                                                run.checkpoint_dir / "config.json"), _read_facts)
    if not decoder or run.kind != "run" or not run.decoder_grid_path.is_file():
        return facts
    metrics, problem = _cached("decoder", catalog, run, (run.decoder_grid_path, run.training_path,
                                                          run.checkpoint_dir / "gradiend_context.json"),
                               _decoder_metrics)
    return replace(facts, metrics={**facts.metrics, **metrics}, decoder_problem=problem)


def facts_for(catalog, run_ids: Iterable[str], *, decoder: bool = False) -> dict[str, RunFacts]:
    return {rid: run_facts(catalog, catalog.runs[rid], decoder=decoder) for rid in run_ids if rid in catalog.runs}


def _cached(what: str, catalog, run, files: tuple, read):
    key = (what, str(catalog.root), run.id, *(_stat(p) for p in files))
    found = _read.get(key)
    if found is None:
        found = read(catalog, run)  # outside the lock: sessions read other runs meanwhile
        with _lock:
            _read[key] = found
            while len(_read) > _CACHE_SIZE:
                _read.pop(next(iter(_read)))
    return found


def _stat(path) -> tuple:
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), info.st_size, info.st_mtime_ns)


def _read_facts(catalog, run) -> RunFacts:
    metrics: dict[str, float] = {}
    _put(metrics, "input_dim", run.config.input_dim)
    if not run.training_path.is_file():
        status = convergence_status(None, seed_report_of(run))
        _put(metrics, "converged", status.converged)
        return RunFacts(run.id, run.kind, None, metrics, status.converged,
                        problem=catalog.error_text(RunReadError(run.training_path, "file not found")))
    try:
        raw = read_json_object(run.training_path)
    except RunReadError as exc:
        return RunFacts(run.id, run.kind, None, metrics, problem=catalog.error_text(exc))
    args = raw.get("training_args")
    if not isinstance(args, dict):
        problem = "missing key 'training_args'" if args is None else "'training_args' should be an object"
        return RunFacts(run.id, run.kind, None, metrics, problem=catalog.error_text(RunReadError(run.training_path,
                                                                                                   problem)))
    status = convergence_status(_header_log(run, raw, args), seed_report_of(run))
    metrics.update(training_metrics(raw))
    _put(metrics, "converged", status.converged)
    return RunFacts(run.id, run.kind, args, metrics, status.converged)


def _header_log(run, raw: dict, args: dict) -> TrainingLog:
    """training.json without its per-step series: all the convergence rule reads (FORMAT.md §6.2)."""
    info = raw.get("convergence_info")
    return TrainingLog(path=run.training_path, scores={}, by_class={}, by_feature_class={},
                       label_value_to_class_name={}, best_step=None, best_correlation=None, best_loss=None,
                       global_step=None, convergence_info=info if isinstance(info, dict) else {}, training_args=args)


def training_metrics(raw: dict) -> dict[str, float]:
    """The numbers of a parsed training.json: the standard ones, then every numeric scalar of METRIC_SECTIONS."""
    metrics: dict[str, float] = {}
    best = raw.get("best_score_checkpoint") if isinstance(raw.get("best_score_checkpoint"), dict) else {}
    stats = raw.get("training_stats") if isinstance(raw.get("training_stats"), dict) else {}
    times = raw.get("time") if isinstance(raw.get("time"), dict) else {}
    _put(metrics, "best_correlation", best.get("correlation"))
    _put(metrics, "steps", stats.get("global_step"))
    _put(metrics, "best_step", best.get("global_step"))
    _put(metrics, "training_time", times.get("total"))
    _put(metrics, "training_stats.correlation", stats.get("correlation"))  # the last evaluated correlation
    for section in METRIC_SECTIONS:
        for name, value in _scalars(raw.get(section), section):
            if name not in DUPLICATES and not name.endswith(".converged"):  # "converged" follows §6.2's rule
                _put(metrics, name, value)
    return metrics


def _scalars(value, prefix: str, depth: int = 0):
    """(dotted name, number) of every numeric scalar in a nested object (booleans count as 0/1)."""
    if isinstance(value, dict) and depth < 3:
        for key, inner in value.items():
            yield from _scalars(inner, f"{prefix}.{key}", depth + 1)
    elif _number(value) is not None:
        yield prefix, value


def _put(metrics: dict, name: str, value) -> None:
    number = _number(value)
    if number is not None:
        metrics[name] = number


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _decoder_metrics(catalog, run) -> tuple[dict[str, float], str | None]:
    """The decoder's selected ΔP and LMS ratio per class (gradiend's default selection) of a run with a grid."""
    from gradiend_st.analysis.decoder_runs import read_run_decoder, run_points

    try:
        points = run_points(read_run_decoder(run))
    except RunReadError as exc:
        return {}, catalog.error_text(exc)
    metrics: dict[str, float] = {}
    for point in points:
        _put(metrics, f"decoder_dp.{point.metric}", point.delta)
        _put(metrics, f"lms_ratio.{point.metric}", point.lms_ratio)
    for head in DECODER_METRICS:  # comparable between runs of different pairs
        found = [v for name, v in metrics.items() if name.startswith(f"{head}.")]
        if found:
            metrics[f"{head}.mean"] = sum(found) / len(found)
    return metrics, None


# ------------------------------------------------------------------------------------------------ comparing


def listed_runs(catalog, *, seeds: bool = False) -> list[str]:
    """The runs a diff compares: the folder's runs; with `seeds`, also their seed (and other) checkpoints."""
    return [rid for rid, run in catalog.runs.items() if seeds or run.kind == "run"]


def same(a, b) -> bool:
    """Two stored values are the same (absent and null are; 1 and 1.0 are not: they were stored differently)."""
    return identity(a) == identity(b)


def identity(value) -> str:
    """A stored value as text that is equal exactly when the stored values are (dict order aside)."""
    return json.dumps(value, sort_keys=True, default=str)


def differing_keys(args: Iterable[dict]) -> list[str]:
    """The training_args keys whose values differ between `args` (absent counts as null), machine paths left out,
    in the order gradiend writes them."""
    args = list(args)
    keys = list(dict.fromkeys(key for a in args for key in a))
    return [key for key in keys if key not in MACHINE_PATHS and not _all_same([a.get(key) for a in args])]


def _all_same(values: list) -> bool:
    """`same` for every value and the first, without writing out the scalars (83 keys x hundreds of runs)."""
    first = values[0]
    if isinstance(first, (dict, list)):
        text = identity(first)
        return all(identity(v) == text for v in values[1:])
    kind = type(first)
    return all(type(v) is kind and (v == first or v != v and first != first) for v in values[1:])  # NaN is NaN


@dataclass
class RunDiff:
    keys: list[str]  # the differing training_args keys
    runs: list[str]  # the runs compared (readable training_args), in order
    facts: dict[str, RunFacts]  # every run asked for, readable or not
    left_out: dict[str, str] = field(default_factory=dict)  # run id -> why it is not compared ("file: problem")

    def values(self, run_id: str) -> dict:
        args = self.facts[run_id].args or {}
        return {key: args.get(key) for key in self.keys}

    def to_json(self) -> dict:
        """`gradiend-st runs --diff --json`: values as stored, absent -> null; each run's metrics beside them."""
        return {"keys": list(self.keys),
                "runs": [{"id": rid, "values": self.values(rid), "metrics": self.facts[rid].metrics}
                         for rid in self.runs],
                "errors": [{"path": rid, "error": reason} for rid, reason in self.left_out.items()]}


def run_diff(catalog, run_ids: Iterable[str], *, decoder: bool = False) -> RunDiff:
    """What differs between `run_ids`; runs without readable training_args are left out with the reason."""
    facts = facts_for(catalog, run_ids, decoder=decoder)
    runs = [rid for rid, f in facts.items() if f.args is not None]
    left_out = {rid: f.problem or "no training_args" for rid, f in facts.items() if f.args is None}
    return RunDiff(differing_keys(facts[rid].args for rid in runs), runs, facts, left_out)


# ------------------------------------------------------------------------------------------------ showing values


def value_text(value) -> str:
    """A stored value as a table cell or tick label shows it (a nested config: see `compact_texts`)."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ", ".join(f"{k}={value_text(v)}" for k, v in value.items() if v is not None) or "{}"
    return json.dumps(value)


def compact_texts(key: str, values: list) -> list[str]:
    """Each value's text; nested configs (dicts) show only their entries that differ between the values or from
    gradiend's defaults (pre_prune_config: "n_samples=16, topk=0.05, source=diff"), the full object is one click
    away in the app and in the JSON output."""
    dicts = [v for v in values if isinstance(v, dict)]
    if not dicts:
        return [value_text(v) for v in values]
    defaults = NESTED_DEFAULTS.get(key)
    names = list(dict.fromkeys(k for d in dicts for k in d))
    shown = [k for k in names if len({identity(d.get(k)) for d in dicts}) > 1
             or (defaults is not None and k in defaults and any(not same(d.get(k), defaults[k]) for d in dicts))]
    if not shown and defaults is None:  # one config of an unknown kind: what it sets
        shown = [k for k in names if dicts[0].get(k) is not None]
    return [(", ".join(f"{k}={value_text(v.get(k))}" for k in shown) or "defaults") if isinstance(v, dict)
            else value_text(v) for v in values]


def metric_label(name: str) -> str:
    """How a metric is named in tables, axes and legends."""
    if name in STANDARD_METRICS:
        return STANDARD_METRICS[name]
    head, _, rest = name.partition(".")
    if head in DECODER_METRICS:
        what = "ΔP" if head == "decoder_dp" else "LMS ratio"
        return f"{what}, mean over classes (decoder)" if rest == "mean" else f"{what} {rest} (decoder)"
    return name


def metric_names(facts: Iterable[RunFacts]) -> list[str]:
    """Every metric some run has: the standard ones first, then the others in the order first met."""
    found = dict.fromkeys(name for f in facts for name in f.metrics)
    return [n for n in STANDARD_METRICS if n in found] + [n for n in found if n not in STANDARD_METRICS]
