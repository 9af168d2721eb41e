"""Freeze a figure's constrained layout once it is built: every later save or venue-profile fit sees the final
positions (profiles.fit measures texts without drawing; tick labels of axes the layout moved would otherwise sit where
the previous draw left them), and ticks outside the axes' view are hidden so no stale label counts as text."""

from __future__ import annotations

from matplotlib.figure import Figure


def freeze_layout(fig: Figure) -> Figure:
    fig.draw_without_rendering()  # runs the layout and places every tick label
    fig.set_layout_engine("none")
    for ax in fig.get_axes():
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = min(low, high), max(low, high)
            for tick in [*axis.majorTicks, *axis.minorTicks]:  # the whole pool: stale ticks included
                if not low - 1e-12 * abs(low) <= tick.get_loc() <= high + 1e-12 * abs(high):
                    for part in (tick, tick.label1, tick.label2):
                        part.set_visible(False)
    return fig
