"""Encoder distributions (FORMAT.md §9.2): split violins of the encoded value per legend label.

Labels follow gradiend's steps 1-5 (class names, "A -> B" transitions, "Neutral: <variant>"), with the upstream
defects of FORMAT.md §10 item 4 fixed: halves are paired explicitly (the target pair side by side, neutral
variants together), `violin_order` and `colors` are honoured (violin and legend share a colour), the target pair
is highlighted for every training source, the x axis names the violins, and the legend sits outside the data.
The violins are drawn here (Gaussian KDE, Scott's bandwidth, cut=0, each half scaled to the same width).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gradiend_st.analysis.convergence import Convergence, run_convergence
from gradiend_st.figures.style import categorical_colors, new_figure, place_title, studio_style
from gradiend_st.io.encoded import describe_key, read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import read_training

EXPORT_FORMATS = ("png", "pdf", "svg")
DEFAULT_SPLIT = "split_test"
NEUTRAL_VARIANTS = {"neutral_training_masked": "Training masked", "neutral_dataset": "Neutral dataset"}
SPLIT_ORDER = ("train", "validation", "test")
HALF_WIDTH = 0.4  # each half spans at most 0.4 x units (a full violin 0.8, as seaborn)
GRID_SIZE = 100
KDE_CHUNK = 50_000
BINNED_KDE_ABOVE = 20_000  # rows per half; above, the KDE runs over KDE_BINS weighted bins
KDE_BINS = 8192
EDGE_WIDTH, TARGET_EDGE_WIDTH = 0.7, 2.0
RANDOM_STATE = 42  # gradiend's down-sampling seed for legend groups
COLLAPSED_FRACTION = 0.025  # a half spanning less of the value range is drawn as a bar at its median
RIGHT_LEGEND_MAX = 8  # more entries than this go below the axes


@dataclass
class Options:
    split: str | None = None  # file key such as "split_test"; None: "split_test" if present, else the first
    target_and_neutral_only: bool = True
    legend_name_mapping: dict | None = None  # {legend label: new name}; equal names merge
    legend_group_mapping: dict | None = None  # {group: [legend labels]}; members down-sampled to the smallest
    paired_legend_labels: list | None = None  # label i -> violin i // 2, left half if i is even
    violin_order: list | None = None  # violin names (or a half's label) in the wanted order
    colors: dict | None = None  # {legend label: colour}
    cmap: str | None = None  # None: the studio default
    legend_loc: str | None = None  # None: right (few entries) or below; "right" | "below" | "above" | matplotlib loc
    legend_ncol: int | None = None
    legend_bbox_to_anchor: list | None = None
    title: bool | str = True
    title_fontsize: float | None = None
    label_fontsize: float | None = None  # x tick labels (violin names)
    axis_label_fontsize: float | None = None
    legend_fontsize: float | None = None
    figsize: list | None = None
    highlight_non_convergence: bool = True
    run_labels: dict | None = None  # run id -> display label


@dataclass
class DistributionData:
    run_id: str
    frame: pd.DataFrame | None
    split: str | None  # the file key that was read
    splits: list[str] = field(default_factory=list)  # every file key of the run
    pair: tuple[str, ...] = ()
    source: str | None = None
    convergence: Convergence = field(default_factory=lambda: Convergence(None, "not read"))
    is_seed_selection_file: bool = False  # split_validation of a multi-seed run: the last evaluated seed's
    error: str | None = None


# ----------------------------------------------------------------------------------------------- loading


def load(catalog, run_ids: list[str], options: Options | None = None) -> DistributionData:
    """Read the chosen encoder CSV of the first run, its target pair and its training source."""
    options = options or Options()
    if not run_ids:
        return DistributionData(run_id="", frame=None, split=None, error="no run selected")
    run_id = run_ids[0]
    try:
        run = catalog.get(run_id)
    except KeyError as exc:
        return DistributionData(run_id=run_id, frame=None, split=None, error=str(exc).strip("'\""))
    files = run.encoded
    split = options.split or (DEFAULT_SPLIT if DEFAULT_SPLIT in files else next(iter(files), None))
    data = DistributionData(run_id=run_id, frame=None, split=split, splits=list(files), pair=tuple(run.classes),
                            source=run.context.source if run.context else None)
    data.convergence, training_source = _status_and_source(run)
    data.source = training_source or data.source or "factual"  # gradiend assumes factual when unknown
    data.is_seed_selection_file = split == "split_validation" and run.seed_report_path.is_file()
    if split not in files:
        available = ", ".join(files) or "none"
        data.error = f"{run_id}: no encoded_values_{split}.csv (available: {available})" if split else \
            f"{run_id}: no encoder evaluation file (encoded_values_<split>.csv)"
        return data
    try:
        data.frame = read_encoded(files[split])
    except RunReadError as exc:
        data.error = catalog.error_text(exc)
    return data


def _status_and_source(run) -> tuple[Convergence, str | None]:
    try:
        training = read_training(run.training_path) if run.training_path.is_file() else None
    except RunReadError:
        training = None
    return run_convergence(run, training), training.source if training else None


# ----------------------------------------------------------------------------------------------- labels


def step3_labels(frame: pd.DataFrame) -> pd.Series:
    """gradiend's legend label per row: the class name, "<source> -> <target>", or "Neutral: <variant>"."""
    source, target = frame["source_id"].astype(str), frame["target_id"].astype(str)
    training = source.where(source == target, source + " -> " + target)
    variant = frame["type"].map(lambda t: NEUTRAL_VARIANTS.get(t, str(t).replace("_", " ").capitalize()))
    return training.where(~frame["is_neutral"], "Neutral: " + variant)


def legend_labels(data: DistributionData) -> list[str]:
    """The raw (step-3) legend labels of the loaded table in order of first appearance, training rows first."""
    if data.frame is None or data.frame.empty:
        return []
    labels = step3_labels(data.frame)
    training = labels[~data.frame["is_neutral"]].unique().tolist()
    neutral = labels[data.frame["is_neutral"]].unique().tolist()
    return training + neutral


def target_labels(pair: tuple[str, ...]) -> list[str]:
    """Labels that stand for the target pair, in pair order: class names (alternative source) and transitions."""
    if len(pair) != 2:
        return []
    a, b = pair
    return [a, f"{a} -> {b}", b, f"{b} -> {a}"]


def display(label: str) -> str:
    return label.replace(" <-> ", " \u2194 ").replace(" -> ", " \u2192 ")  # gradiend 0.2.3 draws arrows


# ----------------------------------------------------------------------------------------------- preparation


@dataclass
class Entry:
    """One legend entry (one violin half): its final label and the step-3 labels whose rows it holds."""

    label: str
    members: list[str]
    neutral: bool
    highlighted: bool
    color: str = ""


@dataclass
class Violin:
    name: str
    halves: list[Entry | None]  # [left, right]


@dataclass
class Prepared:
    rows: pd.DataFrame  # rows kept, with the final `legend_label`
    entries: list[Entry]  # legend order
    violins: list[Violin]
    notes: list[str]


def prepare(data: DistributionData, options: Options) -> Prepared:
    """Steps 3-6 of §9.2 plus the fixes of §10: rows with final labels, legend entries, violins in order."""
    frame = data.frame.copy()
    frame["step3"] = step3_labels(frame)
    notes = []
    if options.target_and_neutral_only:
        frame = _target_and_neutral(frame, data.pair)
    frame["legend_label"] = frame["step3"]
    if options.legend_group_mapping:
        frame, group_notes = _group(frame, options.legend_group_mapping)
        notes += group_notes
    if options.legend_name_mapping:
        frame["legend_label"] = frame["legend_label"].map(lambda x: str(options.legend_name_mapping.get(x, x)))
    entries = _entries(frame, data.pair)
    violins = _order_violins(_pair_entries(entries, options.paired_legend_labels, data.pair), options.violin_order)
    ordered = [half for violin in violins for half in violin.halves if half is not None]
    _color(ordered, options)
    return Prepared(rows=frame, entries=ordered, violins=violins, notes=notes)


def _target_and_neutral(frame: pd.DataFrame, pair: tuple[str, ...]) -> pd.DataFrame:
    """Step 4: keep training rows of the pair's transitions (all training rows when none match) and neutral rows."""
    transitions = set(target_labels(pair)[1::2])
    training = ~frame["is_neutral"]
    matching = training & frame["step3"].isin(transitions)
    return frame[matching | frame["is_neutral"]] if matching.any() else frame


def _group(frame: pd.DataFrame, groups: dict) -> tuple[pd.DataFrame, list[str]]:
    """Step 5: each group's members are down-sampled to its smallest member (random_state 42), then relabelled."""
    notes, taken = [], set()
    parts = [frame]
    counts = frame["step3"].value_counts()
    for group, members in groups.items():
        present = [m for m in dict.fromkeys(members) if m in counts.index and m not in taken]  # missing: tolerated
        if not present:
            continue
        taken.update(present)
        smallest = int(min(counts[m] for m in present))
        for member in present:
            rows = frame[frame["step3"] == member]
            sampled = rows.sample(n=smallest, random_state=RANDOM_STATE) if len(rows) > smallest else rows
            parts.append(sampled.assign(legend_label=str(group)))
            if len(rows) > smallest:
                notes.append(f"{member}: {smallest} of {len(rows)} rows (group {group})")
    kept = parts[0][~parts[0]["step3"].isin(taken)]
    return pd.concat([kept, *parts[1:]]).sort_index(kind="stable"), notes


def _entries(frame: pd.DataFrame, pair: tuple[str, ...]) -> list[Entry]:
    """Legend entries by first appearance; training before neutral."""
    targets = set(target_labels(pair))
    entries: dict[str, Entry] = {}
    for label, step3, neutral in zip(frame["legend_label"], frame["step3"], frame["is_neutral"]):
        entry = entries.setdefault(label, Entry(label, [], bool(neutral), False))
        if step3 not in entry.members:
            entry.members.append(step3)
        entry.highlighted |= step3 in targets
        entry.neutral &= bool(neutral)  # a merged training+neutral entry counts as training
    return [e for e in entries.values() if not e.neutral] + [e for e in entries.values() if e.neutral]


def _pair_entries(entries: list[Entry], paired: list | None, pair: tuple[str, ...]) -> list[Violin]:
    """Explicit pairs: `paired_legend_labels` first (label i -> violin i // 2), then the rest by default:
    the target pair side by side (pair order), other training labels two by two, neutral variants together."""
    remaining = list(entries)
    violins: list[Violin] = []
    if paired:
        listed: list[Entry] = []
        for name in paired:  # labels the table lacks are skipped
            entry = _find(remaining, name)
            if entry is not None and entry not in listed:
                listed.append(entry)
        violins += _two_by_two(listed)
        remaining = [e for e in remaining if e not in listed]
    targets = sorted((e for e in remaining if e.highlighted), key=lambda e: _target_rank(e, pair))
    others = [e for e in remaining if not e.highlighted and not e.neutral]
    neutral = [e for e in remaining if e.neutral and not e.highlighted]
    for group in (targets, others, neutral):
        violins += _two_by_two(group)
    return violins


def _target_rank(entry: Entry, pair: tuple[str, ...]) -> int:
    """Position in the pair (first class left): the best rank among the entry's raw labels."""
    order = target_labels(pair)
    return min((order.index(m) for m in entry.members if m in order), default=len(order))


def _two_by_two(entries: list[Entry]) -> list[Violin]:
    violins = []
    for i in range(0, len(entries), 2):
        halves = entries[i:i + 2]
        violins.append(Violin(_violin_name(halves), [halves[0], halves[1] if len(halves) > 1 else None]))
    return violins


def _violin_name(halves: list[Entry]) -> str:
    labels = [h.label for h in halves]
    prefixes = {label.split(": ", 1)[0] for label in labels if ": " in label}
    if len(prefixes) == 1 and all(": " in label for label in labels):
        return prefixes.pop()  # "Neutral: Training masked" | "Neutral: Neutral dataset" -> "Neutral"
    return " | ".join(display(label) for label in labels)


def _find(entries: list[Entry], name: str) -> Entry | None:
    """An entry by its final label, else by one of its step-3 labels (names from the app's label grid)."""
    name = str(name)
    return next((e for e in entries if e.label == name), None) or next((e for e in entries if name in e.members), None)


def _order_violins(violins: list[Violin], order: list | None) -> list[Violin]:
    """`violin_order` names violins (or one of their halves); unnamed violins keep their place after them."""
    if not order:
        return violins
    wanted = [str(x) for x in order]

    def position(violin: Violin) -> int:
        names = {violin.name} | {h.label for h in violin.halves if h} | {m for h in violin.halves if h for m in h.members}
        return min((i for i, name in enumerate(wanted) if name in names), default=len(wanted))

    return sorted(violins, key=position)  # stable: unnamed violins keep their order


def _color(entries: list[Entry], options: Options) -> None:
    """Palette colours in legend order; `colors` (by final or raw label) wins for the half AND its legend patch."""
    palette = categorical_colors(len(entries), options.cmap)
    chosen = options.colors or {}
    for entry, default in zip(entries, palette):
        key = next((k for k in [entry.label, *entry.members] if k in chosen), None)
        entry.color = str(chosen[key]) if key is not None else default


# ----------------------------------------------------------------------------------------------- density


def half_density(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(grid, density scaled to max 1) over [min, max] (cut=0), Gaussian KDE with Scott's bandwidth.

    None when the values have no spread (one row, or all equal): there is no density to draw.
    """
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    std = float(np.std(values, ddof=1))
    low, high = float(values.min()), float(values.max())
    if std == 0.0 or high <= low:
        return None
    bandwidth = std * len(values) ** (-1 / 5)  # Scott's factor n^(-1/(d+4)) with d = 1, as scipy/seaborn
    grid = np.linspace(low, high, GRID_SIZE)
    weights = None
    if len(values) > BINNED_KDE_ABOVE:
        # Every row still counts: rows are binned far finer than the bandwidth (1M rows: bin width < 2 % of it)
        # and each bin's centre is weighted by its count, so a million-row table draws in milliseconds.
        weights, edges = np.histogram(values, bins=KDE_BINS, range=(low, high))
        values = (edges[:-1] + edges[1:]) / 2
    density = np.zeros(GRID_SIZE)
    for start in range(0, len(values), KDE_CHUNK):  # bounded memory for large tables
        chunk = values[start:start + KDE_CHUNK]
        kernel = np.exp(-0.5 * ((grid[:, None] - chunk[None, :]) / bandwidth) ** 2)
        density += kernel.sum(axis=1) if weights is None else kernel @ weights[start:start + KDE_CHUNK]
    return grid, density / density.max()  # density_norm="width": every half reaches the same width


def _density_at(grid: np.ndarray, density: np.ndarray, y: float) -> float:
    return float(np.interp(y, grid, density))


# ----------------------------------------------------------------------------------------------- drawing


def run_label(data: DistributionData, options: Options) -> str:
    label = (options.run_labels or {}).get(data.run_id) or data.run_id
    return label + (data.convergence.marker if options.highlight_non_convergence else "")


def _title(data: DistributionData, options: Options) -> str | None:
    if options.title is False or options.title is None:
        return None
    if isinstance(options.title, str):
        return options.title or None
    what = describe_key(data.split) if data.split else "encoded values"
    return f"{run_label(data, options)} \u2014 encoded values ({what})"


def _panels(rows: pd.DataFrame) -> list[str | None]:
    """One panel per data split of the training rows (train, validation, test, then others); [None] for one split."""
    splits = rows.loc[~rows["is_neutral"], "data_split"].unique().tolist()
    if len(splits) <= 1:
        return [None]
    return sorted(splits, key=lambda s: (SPLIT_ORDER.index(s) if s in SPLIT_ORDER else len(SPLIT_ORDER), s))


def _values(rows: pd.DataFrame, entry: Entry, split: str | None) -> np.ndarray:
    mask = rows["legend_label"] == entry.label
    if split is not None:
        mask &= rows["data_split"] == split
    return rows.loc[mask, "encoded"].to_numpy(dtype=float)


def build(data: DistributionData, options: Options | None = None) -> Figure:
    options = options or Options()
    with studio_style():
        problem = _problem(data)
        if problem:
            return _message_figure(problem, data, options)
        prepared = prepare(data, options)
        panels = _panels(prepared.rows)
        violins_per_panel = [[v for v in prepared.violins if _has_rows(prepared.rows, v, split)] for split in panels]
        n_entries = len(prepared.entries)
        fig = new_figure(_figsize(options, max(len(v) for v in violins_per_panel), len(panels), n_entries))
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False,
                            width_ratios=[max(1, len(v)) for v in violins_per_panel])[0]
        span = _value_span(prepared.rows)
        for ax, split, violins in zip(axes, panels, violins_per_panel):
            _draw_panel(ax, prepared.rows, violins, split, span, options)
        axes[0].set_ylabel("Encoded value", fontsize=options.axis_label_fontsize)
        legend = _legend(fig, axes[-1], prepared.entries, options)
        title = _title(data, options)
        if title:
            place_title(fig, title, options.title_fontsize or 11, legend)
        notes = prepared.notes + (["this file belongs to the last evaluated seed, not necessarily the best"]
                                  if data.is_seed_selection_file else [])
        if notes:
            fig.supxlabel("Note: " + "; ".join(notes), fontsize=7, color="0.35", x=0.0, ha="left")  # layout-aware
        return fig


def _problem(data: DistributionData) -> str | None:
    if data.error:
        return data.error
    if data.frame is None or data.frame.empty:
        return f"{data.run_id}: the encoder table has no rows"
    if not (~data.frame["is_neutral"]).any():
        return f"{data.run_id}: the encoder table holds only neutral rows ({len(data.frame)}), no training rows to compare"
    return None


def _has_rows(rows: pd.DataFrame, violin: Violin, split: str | None) -> bool:
    return any(h is not None and len(_values(rows, h, split)) for h in violin.halves)


def _value_span(rows: pd.DataFrame) -> float:
    values = rows["encoded"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max() - values.min()) if len(values) else 1.0


def _figsize(options: Options, n_violins: int, n_panels: int, n_entries: int) -> tuple[float, float]:
    if options.figsize:
        return float(options.figsize[0]), float(options.figsize[1])
    width = max(4.5, 1.5 * n_violins * n_panels + 1.0)
    if n_entries <= RIGHT_LEGEND_MAX:
        return width + 2.2, 3.6
    return width, 3.6 + 0.25 * math.ceil(n_entries / _below_ncol(n_entries))


def _draw_panel(ax, rows: pd.DataFrame, violins: list[Violin], split: str | None, span: float,
                options: Options) -> None:
    tick_labels = []
    for x, violin in enumerate(violins):
        counts = []
        for side, half in zip((-1, 1), violin.halves):
            values = _values(rows, half, split) if half is not None else np.array([])
            counts.append(str(len(values)) if half is not None else "")
            if len(values):
                _draw_half(ax, x, side, values, half, span)
        tick_labels.append(f"{violin.name}\nn = {' | '.join(c for c in counts if c)}")
    ax.set_xticks(range(len(violins)), tick_labels, fontsize=options.label_fontsize)
    ax.set_xlim(-0.6, len(violins) - 0.4)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if split is not None:
        ax.set_title(f"{split} split", fontsize=options.axis_label_fontsize or 10)


def _draw_half(ax, x: float, side: int, values: np.ndarray, entry: Entry, span: float) -> None:
    """One half: the KDE outline filled with the entry's colour, quartile lines inside (median dashed)."""
    width = TARGET_EDGE_WIDTH if entry.highlighted else EDGE_WIDTH
    curve = half_density(values)
    if curve is None or curve[0][-1] - curve[0][0] < COLLAPSED_FRACTION * max(span, 1e-12):
        # Too little spread to show a shape: a bar in the half's colour (the table has the exact spread).
        y = float(np.median(values))
        ax.plot([x, x + side * HALF_WIDTH], [y, y], color="black", linewidth=5 + width, solid_capstyle="butt", zorder=2)
        ax.plot([x, x + side * HALF_WIDTH], [y, y], color=entry.color, linewidth=5, solid_capstyle="butt", zorder=3)
        return
    grid, density = curve
    ax.fill_betweenx(grid, x, x + side * HALF_WIDTH * density, facecolor=entry.color, edgecolor="black",
                     linewidth=width, zorder=2)
    for q, style in ((25, ":"), (50, "--"), (75, ":")):
        y = float(np.percentile(values, q))
        reach = HALF_WIDTH * _density_at(grid, density, y)
        ax.plot([x, x + side * reach], [y, y], color="black", linestyle=style, linewidth=0.9, zorder=3)


def _legend(fig: Figure, last_ax, entries: list[Entry], options: Options):
    handles = [Patch(facecolor=e.color, edgecolor="black", linewidth=TARGET_EDGE_WIDTH if e.highlighted else EDGE_WIDTH)
               for e in entries]
    labels = [display(e.label) for e in entries]
    fontsize = options.legend_fontsize or 9
    loc, bbox = options.legend_loc, options.legend_bbox_to_anchor
    if bbox is not None:
        legend = fig.legend(handles, labels, loc=loc or "upper left", bbox_to_anchor=tuple(bbox),
                            ncol=options.legend_ncol or 1, fontsize=fontsize)
    elif _outside(loc, len(entries)) == "outside right upper":
        # Beside the last panel, top-aligned with it (a figure legend there would run into the title).
        legend = last_ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                                ncol=options.legend_ncol or 1, fontsize=fontsize)
    else:
        where = _outside(loc, len(entries))
        ncol = options.legend_ncol or (1 if "left" in where else _below_ncol(len(entries)))
        legend = fig.legend(handles, labels, loc=where, ncol=ncol, fontsize=fontsize)
    for text, entry in zip(legend.get_texts(), entries):
        if entry.highlighted:
            text.set_fontweight("bold")
    return legend


def _below_ncol(n: int) -> int:
    return min(5, max(1, math.ceil(n / 4)))  # gradiend's rule for long legends


def _outside(loc: str | None, n_entries: int) -> str:
    """A place outside the axes: constrained layout reserves room there, so the legend never covers a violin."""
    if loc and loc.startswith("outside"):
        return loc
    loc = (loc or "").lower()
    if loc in ("", "best", "auto"):
        return "outside right upper" if n_entries <= RIGHT_LEGEND_MAX else "outside lower center"
    if loc in ("below", "bottom") or "lower" in loc and "right" not in loc and "left" not in loc:
        return "outside lower center"
    if loc in ("above", "top") or "upper" in loc and "right" not in loc and "left" not in loc:
        return "outside upper center"
    return "outside left upper" if "left" in loc else "outside right upper"


def _message_figure(text: str, data: DistributionData, options: Options) -> Figure:
    fig = new_figure(tuple(options.figsize) if options.figsize else (6.0, 2.0))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"Nothing to draw. {text}", ha="center", va="center", wrap=True, fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------------- table


def table(data: DistributionData, options: Options | None = None) -> pd.DataFrame:
    """One row per drawn half (and split panel): its legend label, position, colour and the row statistics."""
    options = options or Options()
    columns = ["legend_label", "violin", "side", "split", "n", "mean", "median", "q1", "q3", "min", "max",
               "highlighted", "color", "members"]
    if _problem(data):
        return pd.DataFrame(columns=columns)
    prepared = prepare(data, options)
    rows = []
    for split in _panels(prepared.rows):
        for violin in prepared.violins:
            for side, half in zip(("left", "right"), violin.halves):
                if half is None:
                    continue
                values = _values(prepared.rows, half, split)
                if not len(values):
                    continue
                rows.append({"legend_label": half.label, "violin": violin.name, "side": side,
                             "split": split or data.split, "n": len(values), "mean": float(np.mean(values)),
                             "median": float(np.median(values)), "q1": float(np.percentile(values, 25)),
                             "q3": float(np.percentile(values, 75)), "min": float(values.min()),
                             "max": float(values.max()), "highlighted": half.highlighted, "color": half.color,
                             "members": ", ".join(half.members)})
    return pd.DataFrame(rows, columns=columns)
