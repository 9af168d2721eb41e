"""Many short centred labels (the numbers in heatmap cells) drawn by one artist.

As Text objects each label costs about 0.5 ms per drawing pass (layout, shaping, rasterising every glyph), so the
576 numbers of a 24-run heatmap took about 0.7 s on every re-draw. On raster output this artist rasterises each
distinct (text, colour, font, dpi) once into a small image, kept in a process-wide cache, and stamps it: a re-draw
after a label change finds every number already rasterised. Vector output (PDF, SVG) draws real Text, so the
numbers stay selectable text there.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

PAD = 2  # pixels around each cached image, so antialiased edges are not cut


class CellLabels(Artist):
    """`texts[i]` centred on data point `xy[i]` of `ax`, in `colors[i]`."""

    zorder = 3  # where ax.text puts text: above the mesh

    def __init__(self, ax, xy, texts: list[str], colors: list[str], fontsize: float, gid: str | None = None):
        super().__init__()
        self.axes = ax
        self.set_figure(ax.get_figure(root=False))
        self.set_transform(ax.transData)
        self.set_gid(gid)
        self.set_in_layout(False)  # inside the cells: layout need not measure them
        self.xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self.texts = list(texts)
        self.colors = list(colors)
        self.font = FontProperties(size=fontsize)  # family from the rc settings in force (the studio style)

    def as_text_objects(self) -> list[Text]:
        """The same labels as Text objects: what vector backends draw."""
        made = []
        for (x, y), text, color in zip(self.xy, self.texts, self.colors, strict=True):
            label = Text(x, y, text, color=color, fontproperties=self.font, ha="center", va="center")
            label.set_figure(self.get_figure(root=False))
            label.set_transform(self.get_transform())
            label.set_gid(self.get_gid())
            made.append(label)
        return made

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self.texts:
            return
        if not isinstance(renderer, RendererAgg):
            for label in self.as_text_objects():
                label.draw(renderer)
            return
        gc = renderer.new_gc()
        for (x, y), text, color in zip(self.get_transform().transform(self.xy), self.texts, self.colors,
                                       strict=True):
            image, dx, dy = _rasterised(text, color, self.font, renderer.dpi)
            renderer.draw_image(gc, round(x + dx), round(y + dy), image)
        gc.restore()
        self.stale = False


@lru_cache(maxsize=8192)  # a few KB each at screen dpi: ~20 MB when full
def _rasterised(text: str, color: str, font: FontProperties, dpi: float) -> tuple[np.ndarray, float, float]:
    """(RGBA image of `text`, offset of its lower-left corner from the text's centre), centred as Text centres:
    on a box as tall as "lp" (ascender to descender), so numbers with and without descenders line up."""
    probe = RendererAgg(1, 1, dpi)
    width, height, descent = probe.get_text_width_height_descent(text, font, False)
    _, lp_height, lp_descent = probe.get_text_width_height_descent("lp", font, False)
    box_height, box_descent = max(height, lp_height), max(descent, lp_descent)
    canvas = RendererAgg(math.ceil(width) + 2 * PAD, math.ceil(box_height) + 2 * PAD, dpi)
    gc = canvas.new_gc()
    gc.set_foreground(color)
    # draw_text takes the baseline start, y measured down from the top
    canvas.draw_text(gc, PAD, canvas.height - PAD - box_descent, text, font, 0)
    gc.restore()
    # draw_image wants the bottom row first; flipping copies, so the canvas may go
    image = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[::-1])
    return image, -width / 2 - PAD, -box_height / 2 - PAD
