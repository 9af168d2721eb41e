"""Drawing of the top-k overlap Venn (FORMAT.md §9.5): exact exclusive region counts of 2-6 runs; UpSet beyond 6.

- 2-3 runs: matplotlib-venn, circle areas following the counts (its default, as gradiend), or equal circles
  (`equal_circles`), so every region, even an empty one, has room for its count.
- 4-6 runs: the `venn` package's ellipses/triangles drawn here; each count sits at its region's deepest point, or,
  when the region is too thin for readable text, beside the diagram with a leader line (§10 item 7).
  The legend sits below the diagram, never over it.
- more: UpSet chart (bars of exclusive counts over a membership dot matrix, set sizes on the left).

The counts, names and colours come from `gradiend_st.views.venn`; region counts are keyed by membership bit mask
(bit i = the i-th run).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import patheffects
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullLocator

from gradiend_st.figures.profiles import smaller_sizes
from gradiend_st.figures.stamped_text import Placement, StampedText, names_left_of
from gradiend_st.figures.style import font_size, new_figure, place_legend, studio_style, text_width_in, wrap_text
from gradiend_st.figures.venn_shapes import RegionSpot, region_spots, shape_patches

MAX_DRAWN_SETS = 6  # beyond this many runs: an UpSet chart
SMALLEST_INSIDE_FONT = 9.5  # below this (or the label size, if smaller) a count moves outside, with a leader line
HALO = [patheffects.withStroke(linewidth=2.2, foreground=(1, 1, 1, 0.75))]  # counts stay legible on dark overlaps


@dataclass(frozen=True)
class Sets:
    """The runs as the figure shows them."""

    runs: list[str]  # drawing order: bit i of a region mask = runs[i]
    sizes: dict[str, int]  # top-k size per run
    labels: dict[str, str]  # run id -> display name
    colors: dict[str, str]  # run id -> colour


def draw(sets: Sets, counts: dict[int, int], options, title: str | None) -> Figure:
    """A Venn diagram of 2-6 sets. `counts`: {region bit mask: exclusive count}, every region; `options`: the Venn
    view's Options (figure size, font sizes, fill alpha, outline width)."""
    n = len(sets.runs)
    if not 2 <= n <= MAX_DRAWN_SETS:
        raise ValueError(f"a Venn diagram draws 2 to {MAX_DRAWN_SETS} sets, not {n}")
    with studio_style():
        return _build_circles(sets, counts, options, title) if n <= 3 else _build_shapes(sets, counts, options, title)


# ---------------------------------------------------------------------------------------------------------------
# 2-3 runs: matplotlib-venn


def _build_circles(sets: Sets, counts: dict[int, int], options, title: str | None) -> Figure:
    from matplotlib_venn import venn2, venn2_circles, venn3, venn3_circles
    from matplotlib_venn.layout.venn2 import DefaultLayoutAlgorithm as Layout2
    from matplotlib_venn.layout.venn3 import DefaultLayoutAlgorithm as Layout3

    n = len(sets.runs)
    # matplotlib-venn region ids: "10", "01", "11" / "100", ..., "111" (character i = inside set i).
    ids = ["10", "01", "11"] if n == 2 else ["100", "010", "110", "001", "101", "011", "111"]
    subsets = tuple(counts[_mask_of(venn_id)] for venn_id in ids)
    names = [wrap_path(sets.labels[r]) for r in sets.runs]  # names sit beside the circles: keep them narrow
    fill = [sets.colors[r] for r in sets.runs]
    fig = new_figure(tuple(options.figsize) if options.figsize else (6.0, 5.6 if n == 3 else 4.6))
    ax = fig.add_subplot()
    equal = getattr(options, "equal_circles", False) or not any(subsets)
    # Areas follow the counts (matplotlib-venn's default, gradiend's), or equal circles: every region gets room.
    layout = (Layout2 if n == 2 else Layout3)(fixed_subset_sizes=(1,) * len(ids)) if equal else None
    shape_sizes = (1,) * len(ids) if equal else subsets
    diagram_of, outline = (venn2, venn2_circles) if n == 2 else (venn3, venn3_circles)
    with warnings.catch_warnings():  # an empty region has no area: it is listed in the note instead
        warnings.simplefilter("ignore", UserWarning)
        diagram = diagram_of(subsets=subsets, set_labels=names, set_colors=fill, alpha=options.alpha, ax=ax,
                             layout_algorithm=layout)
        circles = outline(subsets=shape_sizes, ax=ax, linewidth=options.patch_linewidth or 1.5,
                          layout_algorithm=layout)
    for circle, colour in zip(circles, fill, strict=True):
        circle.set_edgecolor(colour)
    count_fs = options.region_counts_fontsize or font_size("label")
    without_area = []
    for venn_id, count in zip(ids, subsets, strict=True):
        text = diagram.get_label_by_id(venn_id)
        if text is None:  # no area to write in (an empty region drawn to scale)
            without_area.append(" & ".join(sets.labels[r] for r, ch in zip(sets.runs, venn_id) if ch == "1"))
            continue
        text.set_text(f"{count:,}")
        text.set_fontsize(count_fs)
        text.set_gid(f"region-{_mask_of(venn_id)}")
    for text in diagram.set_labels:
        if text is not None:
            text.set_fontsize(options.circle_names_fontsize or font_size("label"))
            text.set_multialignment("center")
    notes = ["areas proportional to the counts"] if not equal else []
    if without_area:
        notes.append("0 in exactly " + "; ".join(without_area))
    if notes:
        fig.supxlabel(wrap_text("; ".join(notes), font_size("annotation"), 0.96 * fig.get_figwidth()),
                      fontsize=font_size("annotation"), color="0.35")
    if title:
        ax.set_title(title)
    return fig


def wrap_path(label: str, width: int = 16) -> str:
    """Break a long label after '/' (suite/child run ids) so set names stay narrow; other labels are kept."""
    lines, current = [], ""
    for piece in label.replace("/", "/\n").split("\n"):
        if current and len(current) + len(piece) > width:
            lines.append(current)
            current = piece
        else:
            current += piece
    return "\n".join([*lines, current])


def _mask_of(venn_id: str) -> int:
    return sum(1 << i for i, ch in enumerate(venn_id) if ch == "1")


# ---------------------------------------------------------------------------------------------------------------
# 4-6 runs: ellipses / triangles drawn here


def _build_shapes(sets: Sets, counts: dict[int, int], options, title: str | None) -> Figure:
    n = len(sets.runs)
    colors = sets.colors
    # Laid out here, not by a layout engine: the diagram gets the scale its counts were sized for, the legend and
    # title go around it and the export's crop takes them in (a re-draw skips matplotlib's layout passes).
    fig = new_figure(tuple(options.figsize) if options.figsize else (8.0, 8.0), layout=None)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_aspect("equal")
    ax.set_axis_off()
    patches = shape_patches(n)
    for rid, patch in zip(sets.runs, patches, strict=True):
        patch.set_facecolor(mcolors.to_rgba(colors[rid], options.alpha))
        patch.set_edgecolor(colors[rid])
        patch.set_linewidth(options.patch_linewidth or 1.2)
        ax.add_patch(patch)
    (x0, y0), (x1, y1) = _extent(patches)
    inches_per_unit = _inches_per_unit(fig, x1 - x0, y1 - y0)
    show_zeros = n < 6  # 6 triangles leave many slivers: empty ones stay blank (and the figure says so)
    callouts = _place_counts(ax, counts, n, options, inches_per_unit, show_zeros)
    sides = _place_callouts(ax, callouts, ((x0, y0), (x1, y1)), options, inches_per_unit)
    ax.set_xlim(x0 - (0.14 if "left" in sides else 0.01), x1 + (0.14 if "right" in sides else 0.01))
    ax.set_ylim(y0 - 0.01, y1 + 0.01)
    _place_diagram(fig, ax, n)
    handles = [Patch(facecolor=mcolors.to_rgba(colors[r], options.alpha), edgecolor=colors[r], label=sets.labels[r])
               for r in sets.runs]
    # Anchored just below the diagram (the figure has no layout engine to place an outside legend).
    place_legend(fig, ax, handles, [h.get_label() for h in handles], loc="upper center", bbox=(0.5, -0.01), ncol=2,
                 fontsize=options.circle_names_fontsize or font_size("legend"))
    if not show_zeros:
        ax.text(0.5, 1.0, "regions without a number are empty", transform=ax.transAxes, ha="center", va="bottom",
                fontsize=font_size("annotation"), color="0.35")
    if title:
        ax.set_title(title, pad=18 if not show_zeros else 6, y=1.0)  # explicit y: no search for tick labels (none)
    return fig


def _extent(patches) -> tuple[tuple[float, float], tuple[float, float]]:
    points = np.vstack([p.get_path().transformed(p.get_patch_transform()).vertices for p in patches])
    return tuple(points.min(axis=0)), tuple(points.max(axis=0))


def _inches_per_unit(fig: Figure, width: float, height: float) -> float:
    # Counts are sized for a diagram of about 80 % of the figure; it is drawn larger (_place_diagram), which leaves
    # room between the counts of neighbouring regions.
    return min(fig.get_figwidth() * 0.8 / (width + 0.3), fig.get_figheight() * 0.75 / height)


def _place_diagram(fig: Figure, ax, n_runs: int) -> None:
    """Size the axes to its limits and centre it: as large as the figure allows beside the title (~0.8 in) and the
    two-column legend below (~0.27 in a row)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    room_h = fig.get_figheight() - 0.8 - 0.27 * -(-n_runs // 2)
    inches_per_unit = min(fig.get_figwidth() * 0.95 / (x1 - x0), room_h / (y1 - y0))
    width = (x1 - x0) * inches_per_unit / fig.get_figwidth()
    height = (y1 - y0) * inches_per_unit / fig.get_figheight()
    ax.set_position(((1 - width) / 2, (1 - height) / 2, width, height))


@dataclass(frozen=True)
class _Callout:
    spot: RegionSpot
    text: str
    mask: int


def _place_counts(ax, counts: dict[int, int], n_sets: int, options, inches_per_unit: float,
                  show_zeros: bool) -> list[_Callout]:
    """Write each count at its region's deepest point, as large as the style's label size (or the user's) and the
    region allow, down to the annotation size. Returns the counts too big for their region at that size."""
    spots = region_spots(n_sets)
    largest = options.region_counts_fontsize or font_size("label")
    sizes = [largest, *(s for s in smaller_sizes(largest, None) if s >= smallest_inside())]
    callouts = []
    for mask, count in counts.items():
        if not count and not show_zeros:
            continue
        spot, text = spots[mask], f"{count:,}"
        # Largest size whose box (0.62 em per digit wide, 0.8 em tall) fits the square around the spot.
        room_pt = spot.depth * inches_per_unit * 72 * 2
        size = next((s for s in sizes if s <= room_pt / max(0.62 * len(text), 0.8)), None)
        if size is not None:
            ax.text(spot.x, spot.y, text, ha="center", va="center", fontsize=size, gid=f"region-{mask}",
                    color="black" if count else "0.3", zorder=4, path_effects=HALO)
        elif count:
            callouts.append(_Callout(spot, text, mask))
    return callouts


def smallest_inside() -> float:
    """Below this size a count moves outside its region, with a leader line."""
    return min(SMALLEST_INSIDE_FONT, font_size("label"))


def _place_callouts(ax, callouts: list[_Callout], extent, options, inches_per_unit: float) -> set[str]:
    """Counts of thin regions in a column beside the diagram, joined to their region by a leader line.

    Each region goes to the nearer side (the side with fewer takes the most central ones when the other is full),
    and each column keeps its regions in height order, at least one text line apart: counts never overlap, and
    the leader lines of a column do not cross. Many counts make the lines tighter and the text smaller. Returns
    the sides used.
    """
    size = min(options.region_counts_fontsize or font_size("label"), font_size("label"))
    line = size * 1.45 / 72 / inches_per_unit  # one text line, in unit-square units
    (x0, y0), (x1, y1) = extent
    centre = (x0 + x1) / 2
    by_x = sorted(callouts, key=lambda c: c.spot.x)
    n_left = sum(c.spot.x < centre for c in callouts)
    capacity = max(1, int((y1 - y0) / line) + 1)
    n_left = min(max(n_left, len(by_x) - capacity), capacity)  # rebalance only when a side overflows
    sides = {"left": by_x[:n_left], "right": by_x[n_left:]}
    fullest = max(len(group) for group in sides.values())
    gap = min(line, (y1 - y0) / max(1, fullest - 1))
    size = min(size, gap / line * size)
    column = {"left": x0 - 0.03, "right": x1 + 0.03}
    leaders = []  # (region spot, end beside the diagram)
    for side, group in sides.items():
        group = sorted(group, key=lambda c: c.spot.y)
        for callout, y in zip(group, _spread([c.spot.y for c in group], gap, y0, y1), strict=True):
            leaders.append(((callout.spot.x, callout.spot.y), (column[side], y)))
            ax.text(column[side] + (-0.008 if side == "left" else 0.008), y, callout.text, fontsize=size,
                    va="center", ha="right" if side == "left" else "left", gid=f"region-{callout.mask}", zorder=4)
    if leaders:  # all lines as one artist and all dots as another: 60 callouts as 120 lines took 0.1 s to draw
        ax.add_collection(LineCollection(leaders, colors="0.25", linewidths=0.7, zorder=3, gid="callout-lines"),
                          autolim=False)
        spots = np.array([start for start, _ in leaders])
        ax.plot(spots[:, 0], spots[:, 1], "o", color="0.15", markersize=2.5, zorder=3, gid="callout-dots")
    return {side for side, group in sides.items() if group}


def _spread(targets: list[float], gap: float, low: float, high: float) -> np.ndarray:
    """Heights as near their targets as possible, in the same order, at least `gap` apart, within [low, high]."""
    ys = np.clip(np.asarray(targets, float), low, high)
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    if len(ys) and ys[-1] > high:
        ys[-1] = high
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = min(ys[i], ys[i + 1] - gap)
    return ys


# ---------------------------------------------------------------------------------------------------------------
# More than 6 runs: UpSet


def upset(sets: Sets, bars: list[dict], total: int, options, title: str | None) -> Figure:
    """An UpSet chart: `bars` are the regions shown ({"members": [run ids], "count": exclusive count}), largest
    first, of `total` non-empty ones; `options`: the Venn view's Options (figure size, name font size)."""
    with studio_style():
        return _build_upset(sets, bars, total, options, title)


def _build_upset(sets: Sets, bars: list[dict], total: int, options, title: str | None) -> Figure:
    labels, colors = sets.labels, sets.colors
    n = len(sets.runs)
    names_fs = options.circle_names_fontsize or font_size("tick")
    layout = _UpsetLayout.for_chart(n, len(bars), [labels[r] for r in sets.runs], names_fs, options.figsize)
    bars = bars[:layout.shown]  # the largest, as many as the width holds
    m = len(bars)
    fig = new_figure(layout.figsize, layout=None)
    ax_bars = fig.add_axes(layout.rect(*layout.bars))
    ax_matrix = fig.add_axes(layout.rect(*layout.matrix), sharex=ax_bars)
    ax_sizes = fig.add_axes(layout.rect(*layout.sizes), sharey=ax_matrix)
    ax_bars.set_label("intersections")
    ax_matrix.set_label("matrix")
    ax_sizes.set_label("set sizes")
    x = np.arange(m)
    counts = [r["count"] for r in bars]
    _bars(ax_bars, x, counts, 0.7, "0.3", gid="upset-bars")
    _label_bars(ax_bars, x, counts, layout.bars[2] / max(m, 1))
    ax_bars.set_ylabel(wrap_text("indices in exactly these runs", font_size("label"), layout.bars[3]))
    ax_bars.tick_params(axis="x", bottom=False, labelbottom=False)
    ax_bars.margins(y=0.12)
    _draw_matrix(ax_matrix, sets.runs, bars)
    _bars(ax_sizes, np.arange(n), [sets.sizes[r] for r in sets.runs], 0.6, [colors[r] for r in sets.runs],
          gid="upset-sizes", horizontal=True)
    bands = [[(-0.6, i - 0.5), (m - 0.4, i - 0.5), (m - 0.4, i + 0.5), (-0.6, i + 0.5)] for i in range(0, n, 2)]
    ax_matrix.add_collection(PolyCollection(bands, facecolors="0.95", linewidths=0, zorder=0, gid="upset-bands"),
                             autolim=False)
    ax_sizes.invert_xaxis()
    ax_sizes.set_xlabel("top-k size")
    for axis in (ax_bars.yaxis, ax_sizes.xaxis):  # "1M", "500k": no "1e6" offset crowding the axis label
        axis.set_major_formatter(FuncFormatter(_short_count))
    ax_sizes.spines["left"].set_visible(False)
    ax_sizes.spines["right"].set_visible(True)
    for axis in (ax_matrix.xaxis, ax_matrix.yaxis):  # shared with the bars and the set sizes: no ticks there either
        axis.set_major_locator(NullLocator())
    names_left_of(ax_matrix, np.arange(n), [labels[r] for r in sets.runs], names_fs, gid="upset-names")
    shown = f"showing the {m} largest of {total} non-empty intersections" if m < total else \
        f"all {total} non-empty intersections"
    # Above the bar counts, which may stand out of the axes (turned counts of 4+ digits)
    top = max(ax_bars.get_position().y1, _top_of_counts(fig, ax_bars))
    heading = wrap_text(f"{title}\n{shown}" if title else shown, font_size("title"), 0.96 * layout.figsize[0])
    fig.suptitle(heading, y=top + 0.12 / layout.figsize[1], va="bottom", fontsize=font_size("title"))
    return fig


@dataclass(frozen=True)
class _UpsetLayout:
    """The UpSet lays itself out (no layout engine: constrained layout was a fifth of a 10-run re-draw). Boxes
    are (left, bottom, width, height) in inches; the run names go between the set sizes and the matrix, measured."""

    figsize: tuple[float, float]
    bars: tuple[float, float, float, float]
    matrix: tuple[float, float, float, float]
    sizes: tuple[float, float, float, float]
    shown: int  # how many of the largest intersections the width holds

    @staticmethod
    def for_chart(n: int, m: int, names: list[str], names_fs: float, figsize=None) -> _UpsetLayout:
        names_in = max((text_width_in(name, names_fs) for name in names), default=0.0) + 0.12  # + the gap matplotlib leaves before tick labels
        sizes_w, margin, bottom = 1.2, 0.1, 0.55  # set-size bars; outer margin; their tick labels and x label
        cols_w, rows_h, bars_h, gap, top = max(3.0, 0.24 * m), 0.3 * n + 0.3, 2.4, 0.08, 0.2
        shown = m
        if figsize:  # the bars and the matrix take what the rest leaves of the requested size
            width, height = (float(v) for v in figsize)
            sizes_w = min(sizes_w, 0.2 * width)  # a paper column: shorter set-size bars
            cols_w = max(0.6, width - margin - sizes_w - names_in - margin)
            shown = max(1, min(m, int(cols_w / (1.6 * font_size("annotation") / 72))))  # room for a turned count
            scale = max(0.2, (height - bottom - gap - top - 0.45) / (rows_h + bars_h))  # 0.45: the two-line title
            rows_h, bars_h = rows_h * scale, bars_h * scale
        else:
            width = margin + sizes_w + names_in + cols_w + margin
            height = bottom + rows_h + gap + bars_h + top + 0.45
        matrix_x = margin + sizes_w + names_in
        return _UpsetLayout(
            (round(width, 2), round(height, 2)),
            bars=(matrix_x, bottom + rows_h + gap, cols_w, bars_h),
            matrix=(matrix_x, bottom, cols_w, rows_h),
            sizes=(margin, bottom, sizes_w, rows_h), shown=shown)

    def rect(self, left: float, bottom: float, width: float, height: float) -> tuple[float, float, float, float]:
        w, h = self.figsize
        return left / w, bottom / h, width / w, height / h


def _short_count(value: float, _position=None) -> str:  # a tick formatter
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _top_of_counts(fig: Figure, ax) -> float:
    """The top of the bar counts, in figure fractions (they are drawn from the stamp cache, so measuring is cheap)."""
    renderer = RendererAgg(1, 1, fig.dpi)
    tops = [artist.get_window_extent(renderer).y1 for artist in ax.findobj(StampedText)]
    return max(tops, default=0.0) / fig.bbox.height


def _bars(ax, at: np.ndarray, lengths: list[int], thickness: float, colors, *, gid: str,
          horizontal: bool = False) -> None:
    """Bars from 0 as one collection (ax.bar makes a Rectangle per bar, ~1 ms each to add). Like ax.bar, the
    axis starts at 0 whatever its margins."""
    half = thickness / 2
    boxes = [[(a - half, 0), (a - half, v), (a + half, v), (a + half, 0)] for a, v in zip(at, lengths, strict=True)]
    if horizontal:
        boxes = [[(y, x) for x, y in box] for box in boxes]
    bars = PolyCollection(boxes, facecolors=colors, linewidths=0, gid=gid)
    (bars.sticky_edges.x if horizontal else bars.sticky_edges.y).append(0)
    ax.add_collection(bars)
    ax.autoscale_view()


def _label_bars(ax, x: np.ndarray, counts: list[int], pitch_in: float) -> None:
    """Each bar's count on top of it, turned upright when wider than a bar's pitch: two stamped artists (upright,
    turned) instead of a Text per bar, which made up a third of a 10-run re-draw."""
    size = font_size("annotation")
    wide = [text_width_in(f"{count:,}", size) > 0.9 * pitch_in for count in counts]
    for turned in (False, True):
        chosen = [i for i, count in enumerate(counts) if wide[i] == turned]
        if chosen:
            ax.add_artist(StampedText(
                ax, [(x[i], counts[i]) for i in chosen], [f"{counts[i]:,}" for i in chosen], "black", size,
                placement=Placement("center", "bottom", 90 if turned else 0), in_layout=True, gid="upset-count"))


def _draw_matrix(ax, runs: list[str], bars: list[dict]) -> None:
    n = len(runs)
    row = {rid: i for i, rid in enumerate(runs)}
    columns = [sorted(row[m] for m in region["members"]) for region in bars]
    # One artist per kind (grey grid, member dots, joining lines): a few artists draw far faster than 3 per column.
    grid_x, grid_y = np.meshgrid(np.arange(len(bars)), np.arange(n))
    ax.scatter(grid_x.ravel(), grid_y.ravel(), s=28, color="0.85", zorder=1)
    ax.add_collection(LineCollection([[(xi, rows[0]), (xi, rows[-1])] for xi, rows in enumerate(columns)],
                                     colors="0.2", linewidths=1.6, zorder=2))
    ax.scatter([xi for xi, rows in enumerate(columns) for _ in rows], [r for rows in columns for r in rows],
               s=28, color="0.2", zorder=3)
    ax.set_ylim(n - 0.5, -0.5)  # first run on top
    ax.set_xlim(-0.6, len(bars) - 0.4)
    ax.tick_params(axis="both", length=0)
    ax.tick_params(axis="x", labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
