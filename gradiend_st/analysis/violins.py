"""What the encoder-distribution violins show (FORMAT.md §9.2 steps 3-6, with the fixes of §10 item 4).

From an encoder table: gradiend's legend label of every row (class name, "A -> B" transition, "Neutral: <variant>"),
the target pair's labels, legend groups down-sampled to their smallest member, renamed labels, legend entries,
violins paired explicitly and ordered, one colour per entry, the split panels and each half's statistics.
Plain pandas/numpy: the figure module draws what `prepare` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gradiend_st.analysis.colors import assign_colors

NEUTRAL_VARIANTS = {"neutral_training_masked": "Training masked", "neutral_dataset": "Neutral dataset"}
SPLIT_ORDER = ("train", "validation", "test")
RANDOM_STATE = 42  # gradiend's down-sampling seed for legend groups


# ----------------------------------------------------------------------------------------------- labels


def step3_labels(frame: pd.DataFrame, class_label_mapping: dict | None = None) -> pd.Series:
    """gradiend's legend label per row: the class name, "<source> -> <target>", or "Neutral: <variant>"; class ids
    named through `class_label_mapping` first (gradiend's step 1)."""
    source, target = frame["source_id"].astype(str), frame["target_id"].astype(str)
    if class_label_mapping:
        source, target = (column.map(lambda x: class_name(x, class_label_mapping)) for column in (source, target))
    training = source.where(source == target, source + " -> " + target)
    variant = frame["type"].map(lambda t: NEUTRAL_VARIANTS.get(t, str(t).replace("_", " ").capitalize()))
    return training.where(~frame["is_neutral"], "Neutral: " + variant)


def class_name(class_id: str, mapping: dict) -> str:
    """A class id's display name as gradiend looks it up: as int(x), str(int(x)), then x."""
    try:
        as_int = int(float(class_id))
    except (TypeError, ValueError):
        return str(mapping.get(class_id, class_id))
    return str(mapping.get(as_int, mapping.get(str(as_int), mapping.get(class_id, class_id))))


def raw_legend_labels(frame: pd.DataFrame | None, class_label_mapping: dict | None = None) -> list[str]:
    """The raw (step-3) legend labels of a table in order of first appearance, training rows first."""
    if frame is None or frame.empty:
        return []
    labels = step3_labels(frame, class_label_mapping)
    training = labels[~frame["is_neutral"]].unique().tolist()
    neutral = labels[frame["is_neutral"]].unique().tolist()
    return training + neutral


def target_labels(pair: tuple[str, ...], class_label_mapping: dict | None = None) -> list[str]:
    """Labels that stand for the target pair, in pair order: class names (alternative source) and transitions."""
    if len(pair) != 2:
        return []
    a, b = (class_name(c, class_label_mapping) if class_label_mapping else c for c in pair)
    return [a, f"{a} -> {b}", b, f"{b} -> {a}"]


def display(label: str) -> str:
    return label.replace(" <-> ", " \u2194 ").replace(" -> ", " \u2192 ")  # gradiend 0.2.3 draws arrows


# ----------------------------------------------------------------------------------------------- entries and violins


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
    notes: list[str]  # what the figure should say about the rows (down-sampled groups)


@dataclass(frozen=True)
class Splits:
    """gradiend's multi-split options (they act only when the training rows hold more than one data split)."""

    include_neutral: bool = False  # neutral rows in the `neutral_data_split` panel (else left out)
    neutral_data_split: str = "test"
    split_plot_mode: str = "facet"  # one panel per split ("overlay", "dodge": removed aliases of "facet")


SPLIT_PLOT_MODES = ("facet", "overlay", "dodge")
NO_SPLIT = ""  # the panel of training rows without a data_split (gradiend 0.2.3 writes such rows)


def prepare(frame: pd.DataFrame, pair: tuple[str, ...], *, target_and_neutral_only: bool = True,
            legend_group_mapping: dict | None = None, legend_name_mapping: dict | None = None,
            paired_legend_labels: list | None = None, violin_order: list | None = None,
            class_label_mapping: dict | None = None, ignore_missing_legend_group_labels: bool = True,
            splits: Splits = Splits()) -> Prepared:
    """Steps 3-6 of §9.2 plus the fixes of §10: rows with final labels, legend entries, violins in order.

    Entries come without colours: `color_entries` gives them theirs once the caller has a palette for them.
    """
    if splits.split_plot_mode not in SPLIT_PLOT_MODES:
        raise ValueError(f"split_plot_mode must be one of ['facet']; got {splits.split_plot_mode!r}")
    frame = frame.copy()
    frame["step3"] = step3_labels(frame, class_label_mapping)
    multi = len(data_splits(frame)) > 1
    frame["panel"] = _panels(frame, multi, splits)
    if multi:  # neutral rows without include_neutral are not plotted (gradiend's multi-split plot)
        frame = frame[frame["panel"].notna()]
    notes = []
    if target_and_neutral_only and multi:  # gradiend's multi-split rule: training rows of the pair's classes
        frame = frame[frame["is_neutral"] | frame["source_id"].astype(str).isin([str(c) for c in pair])]
    elif target_and_neutral_only:
        frame = _target_and_neutral(frame, pair, class_label_mapping)
    frame["legend_label"] = frame["step3"]
    if legend_group_mapping:
        legend_group_mapping = _present_members(frame, legend_group_mapping, ignore_missing_legend_group_labels)
        frame, group_notes = _group(frame, legend_group_mapping)
        notes += group_notes
    if legend_name_mapping:
        frame["legend_label"] = frame["legend_label"].map(lambda x: str(legend_name_mapping.get(x, x)))
    entries = _entries(frame, pair, class_label_mapping)
    violins = _order_violins(_pair_entries(entries, paired_legend_labels, pair, class_label_mapping), violin_order)
    ordered = [half for violin in violins for half in violin.halves if half is not None]
    kept = {e.label for e in ordered}
    return Prepared(rows=frame[frame["legend_label"].isin(kept)], entries=ordered, violins=violins, notes=notes)


def data_splits(frame: pd.DataFrame) -> list[str]:
    """The data splits of the training rows (empty values are no split), as gradiend counts them."""
    values = frame.loc[~frame["is_neutral"], "data_split"] if "data_split" in frame else pd.Series(dtype=object)
    return [s for s in values.dropna().astype(str).unique().tolist() if s.strip() and s != "nan"]


def _panels(frame: pd.DataFrame, multi: bool, splits: Splits) -> pd.Series:
    """Each row's split panel: None for a one-split table; the row's split (NO_SPLIT when empty) for training rows
    of a multi-split one, `neutral_data_split` for neutral rows with `include_neutral` (None otherwise: left out)."""
    if not multi:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    split = frame["data_split"].astype(object).where(frame["data_split"].notna(), NO_SPLIT).astype(str)
    split = split.where(split.str.strip().ne("") & split.ne("nan"), NO_SPLIT)
    neutral = splits.neutral_data_split if splits.include_neutral else None
    return split.astype(object).where(~frame["is_neutral"], neutral)


def _present_members(frame: pd.DataFrame, groups: dict, ignore_missing: bool) -> dict:
    """gradiend's check of legend_group_mapping: members must be labels of the plotted rows, unless ignored."""
    present = set(frame["step3"])
    missing = sorted({str(m) for members in groups.values() for m in members if m not in present})
    if missing and not ignore_missing:
        raise ValueError(f"legend_group_mapping labels not present in data: {missing} "
                         "(set ignore_missing_legend_group_labels to leave them out)")
    return groups


def color_entries(entries: list[Entry], colors: dict | None, palette: list[str]) -> None:
    """Palette colours in legend order; `colors` (by final label — a display or group name — or by a raw label)
    wins for the half AND its legend patch."""
    chosen = assign_colors([[entry.label, *entry.members] for entry in entries], colors, palette)
    for entry, color in zip(entries, chosen):
        entry.color = color


def _target_and_neutral(frame: pd.DataFrame, pair: tuple[str, ...],
                        class_label_mapping: dict | None = None) -> pd.DataFrame:
    """Step 4: keep training rows of the pair's transitions (all training rows when none match) and neutral rows."""
    transitions = set(target_labels(pair, class_label_mapping)[1::2])
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


def _entries(frame: pd.DataFrame, pair: tuple[str, ...], class_label_mapping: dict | None = None) -> list[Entry]:
    """Legend entries by first appearance; training before neutral."""
    targets = set(target_labels(pair, class_label_mapping))
    entries: dict[str, Entry] = {}
    for label, step3, neutral in zip(frame["legend_label"], frame["step3"], frame["is_neutral"]):
        entry = entries.setdefault(label, Entry(label, [], bool(neutral), False))
        if step3 not in entry.members:
            entry.members.append(step3)
        entry.highlighted |= step3 in targets
        entry.neutral &= bool(neutral)  # a merged training+neutral entry counts as training
    return [e for e in entries.values() if not e.neutral] + [e for e in entries.values() if e.neutral]


def _pair_entries(entries: list[Entry], paired: list | None, pair: tuple[str, ...],
                  class_label_mapping: dict | None = None) -> list[Violin]:
    """Explicit pairs: `paired_legend_labels` (label i -> violin i // 2; labels not listed are not plotted, as in
    gradiend, unless the run has none of the listed labels); else by default: the target pair side by side (pair
    order), other training labels two by two, neutral variants together."""
    remaining = list(entries)
    if paired:
        listed: list[Entry] = []
        for name in paired:  # labels the table lacks are skipped
            entry = _find(remaining, name)
            if entry is not None and entry not in listed:
                listed.append(entry)
        if listed:
            return _two_by_two(listed)
    violins: list[Violin] = []
    targets = sorted((e for e in remaining if e.highlighted),
                     key=lambda e: _target_rank(e, pair, class_label_mapping))
    others = [e for e in remaining if not e.highlighted and not e.neutral]
    neutral = [e for e in remaining if e.neutral and not e.highlighted]
    for group in (targets, others, neutral):
        violins += _two_by_two(group)
    return violins


def _target_rank(entry: Entry, pair: tuple[str, ...], class_label_mapping: dict | None = None) -> int:
    """Position in the pair (first class left): the best rank among the entry's raw labels."""
    order = target_labels(pair, class_label_mapping)
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
        halves = [h for h in violin.halves if h]
        names = {violin.name} | {h.label for h in halves} | {m for h in halves for m in h.members}
        return min((i for i, name in enumerate(wanted) if name in names), default=len(wanted))

    return sorted(violins, key=position)  # stable: unnamed violins keep their order


# ----------------------------------------------------------------------------------------------- panels and values


def split_panels(rows: pd.DataFrame) -> list[str | None]:
    """One panel per data split of a multi-split table (train, validation, test, then others, rows without a split
    last); [None] for one split."""
    panels = rows["panel"].dropna().unique().tolist() if "panel" in rows else []
    if not panels:
        return [None]
    return sorted(panels, key=lambda s: (s == NO_SPLIT, SPLIT_ORDER.index(s) if s in SPLIT_ORDER else len(SPLIT_ORDER),
                                         s))


def panel_title(split: str) -> str:
    return "rows without a data split" if split == NO_SPLIT else f"{split} split"


def half_values(rows: pd.DataFrame, entry: Entry, split: str | None) -> np.ndarray:
    """The encoded values of one half (in one split panel, or all of them for None)."""
    mask = rows["legend_label"] == entry.label
    if split is not None:
        mask &= rows["panel"] == split
    return rows.loc[mask, "encoded"].to_numpy(dtype=float)


def violins_with_rows(rows: pd.DataFrame, violins: list[Violin], split: str | None) -> list[Violin]:
    """The violins that have rows in a split panel."""
    return [v for v in violins if any(h is not None and len(half_values(rows, h, split)) for h in v.halves)]


def value_span(rows: pd.DataFrame) -> float:
    """The range of all encoded values (a half spanning a tiny part of it has no shape to draw)."""
    values = rows["encoded"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max() - values.min()) if len(values) else 1.0


SUMMARY_COLUMNS = ["legend_label", "violin", "side", "split", "n", "mean", "median", "q1", "q3", "min", "max",
                   "highlighted", "color", "members"]


def summary(prepared: Prepared, file_split: str | None) -> pd.DataFrame:
    """One row per drawn half (and split panel): its legend label, position, colour and the row statistics."""
    rows = []
    for split in split_panels(prepared.rows):
        for violin in prepared.violins:
            for side, half in zip(("left", "right"), violin.halves):
                if half is None:
                    continue
                values = half_values(prepared.rows, half, split)
                if not len(values):
                    continue
                rows.append({"legend_label": half.label, "violin": violin.name, "side": side,
                             "split": (panel_title(split) if split == NO_SPLIT else split) if split is not None
                             else file_split, "n": len(values), "mean": float(np.mean(values)),
                             "median": float(np.median(values)), "q1": float(np.percentile(values, 25)),
                             "q3": float(np.percentile(values, 75)), "min": float(values.min()),
                             "max": float(values.max()), "highlighted": half.highlighted, "color": half.color,
                             "members": ", ".join(half.members)})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
