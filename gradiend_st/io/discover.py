"""Find GRADIEND runs under a root folder (FORMAT.md §1.3). Cheap: reads only small JSON files and headers."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gradiend_st.io.bundle_files import TOPK_FILE, read_bundle_manifest
from gradiend_st.io.checkpoint import MAX_CONFIG_BYTES, Checkpoint
from gradiend_st.io.context import GradiendContext, pair_from_label_names, read_context
from gradiend_st.io.encoded import encoded_files
from gradiend_st.io.errors import RunReadError, display_path
from gradiend_st.io.jsonfile import read_json_object

SKIP_DIRS = {"cache", "decoder", "decoder_mlm_head", "custom_prediction_head", "classification_head",
             "__pycache__", "node_modules"}
TRANSIENT = re.compile(r"^(model_best|model_temp|seed_\d+_best)$")
EXTRA_CHECKPOINT = re.compile(r"^model_(step|epoch)_(\d+)$")
SEED_DIR = re.compile(r"^seed_(\d+)$")
RUN_MARKERS = ("seeds/seed_report.json", "training_convergence.png", "training_convergence.pdf")


@dataclass
class Run:
    """One run (or seed / intermediate checkpoint) as discovered; heavy files are read later, on demand."""

    id: str
    kind: str  # "run" | "seed" | "checkpoint"
    folder: Path  # evaluation files: encoded values, decoder grid, seeds/
    checkpoint: Checkpoint  # config.json, weights, training.json
    parent: str | None = None
    context: GradiendContext | None = None
    classes: tuple[str, ...] = ()
    seeds: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    weights_error: RunReadError | None = None
    bundle: dict | None = None  # set for runs read from a light bundle

    @property
    def checkpoint_dir(self) -> Path:
        return self.checkpoint.folder

    @property
    def training_path(self) -> Path:
        return self.checkpoint.folder / "training.json"

    @property
    def seed_report_path(self) -> Path:
        return self.folder / "seeds" / "seed_report.json"

    @property
    def decoder_grid_path(self) -> Path:
        return self.folder / "decoder_grid_cache.json"

    @property
    def encoded(self) -> dict[str, Path]:
        # Seeds and intermediate checkpoints share the folder of their run only by accident: give them none.
        return encoded_files(self.folder) if self.kind == "run" else {}

    @property
    def config(self):
        return self.checkpoint.config

    @property
    def format(self) -> str | None:
        """"safetensors" | "bin" | "bundle" (top-k lists only) | None (no weights)."""
        return self.checkpoint.format or ("bundle" if self.bundle is not None else None)

    @property
    def has_weights(self) -> bool:
        return self.checkpoint.weights_path is not None and self.weights_error is None

    @property
    def has_topk(self) -> bool:
        """Top-k views can use this run: readable weights, or top-k lists from a bundle."""
        return self.has_weights or self.bundle is not None


@dataclass(frozen=True)
class CatalogError:
    path: str  # relative to the root
    error: str

    def __str__(self) -> str:
        return f"{self.path}: {self.error}"


@dataclass
class Catalog:
    root: Path
    runs: dict[str, Run]
    errors: list[CatalogError]

    def ids(self, kind: str | None = "run") -> list[str]:
        return [rid for rid, run in self.runs.items() if kind is None or run.kind == kind]

    def get(self, run_id: str) -> Run:
        if run_id not in self.runs:
            raise KeyError(f"no run '{run_id}' under {self.root.name}")
        return self.runs[run_id]

    def error_text(self, exc: RunReadError) -> str:
        return exc.relative_to(self.root)


def discover(root: str | Path) -> Catalog:
    root = Path(root)
    if not root.exists():
        raise RunReadError(root, "folder not found")
    if not root.is_dir():
        raise RunReadError(root, "not a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        raise RunReadError(root, "permission denied")
    errors: list[CatalogError] = []
    manifest = read_bundle_manifest(root)
    checkpoint_dirs, marked_dirs = _walk(root, errors)
    runs: dict[str, Run] = {}
    for folder, config_data in checkpoint_dirs:
        try:
            run = _make_run(root, folder, config_data, manifest)
        except RunReadError as exc:
            errors.append(CatalogError(display_path(exc.path, root), exc.problem))
            continue
        if run is None:
            continue
        if run.weights_error:
            errors.append(CatalogError(display_path(run.weights_error.path, root), run.weights_error.problem))
        runs[run.id] = run
    _link_children(runs)
    run_folders = {run.folder for run in runs.values()}
    for folder in sorted(marked_dirs - run_folders):
        prefix = _run_id(root, folder) + "/"
        if not any(e.path.startswith(prefix) for e in errors):  # a parse error already names the file
            errors.append(_missing_checkpoint(root, folder))
    ordered = dict(sorted(runs.items(), key=lambda item: _natural_key(item[0])))
    return Catalog(root=root, runs=ordered, errors=sorted(set(errors), key=lambda e: _natural_key(e.path)))


def _walk(root: Path, errors: list[CatalogError]) -> tuple[list[tuple[Path, dict]], set[Path]]:
    """(checkpoint folder, its parsed config.json) pairs, and folders that look like runs."""
    checkpoints, marked = [], set()

    def on_error(exc: OSError) -> None:
        errors.append(CatalogError(display_path(exc.filename or root, root), "cannot list folder (permission denied?)"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):  # symlinked folders are not followed
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS and not TRANSIENT.match(d))
        files = set(filenames)
        if "config.json" in files:
            try:
                config = read_json_object(here / "config.json", max_bytes=MAX_CONFIG_BYTES)
            except RunReadError as exc:
                errors.append(CatalogError(display_path(exc.path, root), exc.problem))
                config = {}
            if "architecture" in config:  # a Hugging Face config.json has none: not a GRADIEND
                checkpoints.append((here, config))
                continue
        if any(f.startswith("encoded_values_") and f.endswith(".csv") for f in files) or any((here / m).is_file() for m in RUN_MARKERS):
            marked.add(here)
    return checkpoints, marked


def _missing_checkpoint(root: Path, folder: Path) -> CatalogError:
    config = folder / "model" / "config.json"
    if config.exists() and not config.is_file():
        return CatalogError(display_path(config, root), "is a folder, not a file")
    if (folder / "model").is_dir():
        return CatalogError(display_path(config, root), "file not found (the run's model/ folder has no GRADIEND config.json)")
    return CatalogError(_run_id(root, folder), "looks like a run but has no readable GRADIEND checkpoint (model/config.json)")


def _make_run(root: Path, folder: Path, config_data: dict, manifest: dict | None = None) -> Run | None:
    name = folder.name
    if folder != root and name == "model":
        kind, run_folder, parent = "run", folder.parent, None
    elif folder != root and SEED_DIR.match(name) and folder.parent.name == "seeds":
        kind, run_folder, parent = "seed", folder, _run_id(root, folder.parent.parent)
    elif folder != root and EXTRA_CHECKPOINT.match(name):
        kind, run_folder, parent = "checkpoint", folder, _run_id(root, folder.parent)
    else:
        kind, run_folder, parent = "run", folder, None
    checkpoint = Checkpoint(folder, config_data)
    run_id = _run_id(root, run_folder)
    bundled = (manifest or {}).get("runs", {}).get(run_id) if (folder / TOPK_FILE).is_file() else None
    if kind != "run" and checkpoint.weights_path is None and bundled is None:
        return None  # seeds not kept and step checkpoints without weights carry nothing to compare
    run = Run(id=run_id, kind=kind, folder=run_folder, checkpoint=checkpoint, parent=parent, bundle=bundled)
    if bundled is None:
        try:
            checkpoint.check_weights_header()
        except RunReadError as exc:
            run.weights_error = exc
    run.context, run.classes = _classes(root, checkpoint.folder)
    return run


def _classes(root: Path, folder: Path) -> tuple[GradiendContext | None, tuple[str, ...]]:
    context = None
    if (folder / "gradiend_context.json").is_file():
        try:
            context = read_context(folder / "gradiend_context.json")
        except RunReadError:
            context = None
    if context and context.pair:
        return context, context.pair
    # Pre-pruned checkpoints omit the direction: fall back to training.json's label names (FORMAT.md §2.4).
    if (folder / "training.json").is_file():
        from gradiend_st.io.training import read_training

        try:
            pair = pair_from_label_names(read_training(folder / "training.json").label_value_to_class_name)
        except RunReadError:
            pair = None
        if pair:
            return context, pair
    return context, ()


def _link_children(runs: dict[str, Run]) -> None:
    for run in runs.values():
        if run.parent and run.parent in runs:
            target = runs[run.parent].seeds if run.kind == "seed" else runs[run.parent].checkpoints
            target.append(run.id)
    for run in runs.values():
        run.seeds.sort(key=_natural_key)
        run.checkpoints.sort(key=_natural_key)


def _run_id(root: Path, folder: Path) -> str:
    rel = folder.relative_to(root)
    return rel.as_posix() if rel.parts else root.resolve().name


def _natural_key(text: str) -> list:
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", text)]
