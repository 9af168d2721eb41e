"""Many short labels (heatmap cell numbers and run names) drawn by one artist that rasterises each label once.

As Text objects each label costs about 0.5 ms per drawing pass (layout, shaping, rasterising every glyph), and as
tick labels another ~1.5 ms to build and measure its Tick: the 576 numbers and 48 run names of a 24-run heatmap took
about 0.9 s on every re-draw. On raster output this artist rasterises each distinct (text, colour, font, placement,
dpi) once into a small image, kept in a process-wide cache, and stamps it: a re-draw after a colour change finds
every label already rasterised, one after a rename only the new names. Vector output (PDF, SVG) draws real Text, so
the labels stay selectable text there.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.transforms import Bbox, IdentityTransform, ScaledTranslation

PAD = 2  # pixels around each cached image, so antialiased edges are not cut
BLANK = (255, 255, 255, 0)  # a new Agg canvas: transparent white


@dataclass(frozen=True)
class Placement:
    """How a label sits on its point: Text's arguments of the same names."""

    ha: str = "center"
    va: str = "center"
    rotation: float = 0.0
    rotation_mode: str = "default"


class StampedText(Artist):
    """`texts[i]` placed on point `xy[i]` (in `transform`, default the data of `ax`) in `colors[i]`."""

    zorder = 3  # where ax.text puts text: above the mesh

    def __init__(self, ax, xy, texts: list[str], colors: list[str] | str, fontsize: float, *,
                 placement: Placement = Placement(), transform=None, in_layout: bool = False, gid: str | None = None):
        super().__init__()
        self.axes = ax
        self.set_figure(ax.get_figure(root=False))
        self.set_transform(transform or ax.transData)
        self.set_gid(gid)
        self.set_in_layout(in_layout)  # cell numbers sit inside the axes: layout need not measure them
        self.set_clip_on(False)  # labels beside the axes (run names) must not be cut by it
        self.xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self.texts = list(texts)
        self.colors = [colors] * len(self.texts) if isinstance(colors, str) else list(colors)
        self.font = FontProperties(size=fontsize)  # family from the rc settings in force (the studio style)
        self.placement = placement

    def as_text_objects(self) -> list[Text]:
        """The same labels as Text objects: what vector backends draw and measure."""
        made = []
        for (x, y), text, color in zip(self.xy, self.texts, self.colors, strict=True):
            label = _text(x, y, text, color, self.font, self.placement)
            label.set_figure(self.get_figure(root=False))
            label.set_transform(self.get_transform())
            label.set_gid(self.get_gid())
            label.set_clip_on(False)
            made.append(label)
        return made

    def _stamps(self, dpi: float):
        """(point in display pixels, its cached Stamp) for every label."""
        for point, text, color in zip(self.get_transform().transform(self.xy), self.texts, self.colors, strict=True):
            yield point, _rasterised(text, color, self.font, self.placement, dpi)

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self.texts:
            return
        if not isinstance(renderer, RendererAgg):
            for label in self.as_text_objects():
                label.draw(renderer)
            return
        gc = renderer.new_gc()
        for (x, y), stamp in self._stamps(renderer.dpi):
            renderer.draw_image(gc, round(x) + stamp.left, round(y) + stamp.bottom, stamp.image)
        gc.restore()
        self.stale = False

    def get_window_extent(self, renderer=None) -> Bbox:
        renderer = renderer or self.get_figure(root=True)._get_renderer()
        if not self.get_visible() or not self.texts:
            return Bbox.null()
        if not isinstance(renderer, RendererAgg):
            return Bbox.union([label.get_window_extent(renderer) for label in self.as_text_objects()])
        return Bbox.union([stamp.box.translated(x, y) for (x, y), stamp in self._stamps(renderer.dpi)])


def names_left_of(ax, ys, names: list[str], fontsize: float, *, gid: str) -> StampedText:
    """`names` where y tick labels go (right-aligned at the axes' left edge, matplotlib's tick-label pad away, at
    data heights `ys`), as one stamped artist: a Tick costs ~1.5 ms to build and measure, on every re-draw."""
    left = -mpl.rcParams["ytick.major.pad"] / 72  # points -> inches
    shift = ScaledTranslation(left, 0, ax.get_figure(root=False).dpi_scale_trans)
    return ax.add_artist(StampedText(
        ax, np.column_stack([np.zeros(len(names)), ys]), names, "black", fontsize, in_layout=True, gid=gid,
        placement=Placement(ha="right", va="center_baseline"), transform=ax.get_yaxis_transform() + shift))


def _text(x: float, y: float, text: str, color: str, font: FontProperties, placement: Placement) -> Text:
    # parse_math fixed (as the studio style sets it), not read from rc: a cached image must not depend on the rc
    # settings in force when it was first drawn ("$x_1$" in a run name stays literal)
    return Text(x, y, text, color=color, fontproperties=font, horizontalalignment=placement.ha,
                verticalalignment=placement.va, rotation=placement.rotation, rotation_mode=placement.rotation_mode,
                parse_math=False)


@dataclass(frozen=True)
class Stamp:
    image: np.ndarray  # RGBA, bottom row first (what draw_image wants)
    left: int  # whole pixels from the label's point to the image's lower-left corner
    bottom: int
    box: Bbox  # the text's own extent around its point, as Text reports it (no padding): what layout measures


SCRATCH_PX = 1024  # the shared canvas labels are drawn on; a longer label gets a canvas of its own
_SCRATCH_LOCK = threading.Lock()  # also guards the stamp cache


@lru_cache(maxsize=4)
def _scratch(dpi: float) -> tuple[Figure, RendererAgg]:
    """A figure (Text measures itself at its figure's dpi) and one canvas reused for every label: text metrics are
    cached per renderer, so measuring and drawing on the same one shapes each label once, not four times."""
    return Figure(dpi=dpi), RendererAgg(SCRATCH_PX, SCRATCH_PX, dpi)


class StampCache:
    """The least recently used stamps, up to a total image size. A count limit could not bound memory: a cell
    number at screen resolution is ~2 KB, a run name turned 45 degrees in a 300 dpi download ~300 KB."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.stamps: OrderedDict[tuple, Stamp] = OrderedDict()
        self.bytes = self.hits = self.misses = 0

    def get(self, key: tuple, make: Callable[[], Stamp]) -> Stamp:
        stamp = self.stamps.get(key)
        if stamp is not None:
            self.stamps.move_to_end(key)
            self.hits += 1
            return stamp
        self.misses += 1
        stamp = self.stamps[key] = make()
        self.bytes += stamp.image.nbytes
        while self.bytes > self.max_bytes and len(self.stamps) > 1:
            _, dropped = self.stamps.popitem(last=False)
            self.bytes -= dropped.image.nbytes
        return stamp


_CACHE = StampCache(64 << 20)  # process-wide: every session's figures share the same labels


def _rasterised(text: str, color: str, font: FontProperties, placement: Placement, dpi: float) -> Stamp:
    """`text` as Text draws it on a point: drawn by a real Text, so alignment and rotation are matplotlib's own."""
    with _SCRATCH_LOCK:  # app sessions draw in threads of their own; the shared canvas takes one label at a time
        return _CACHE.get((text, color, font, placement, dpi),
                          lambda: _drawn_on_scratch(text, color, font, placement, dpi))


def _drawn_on_scratch(text: str, color: str, font: FontProperties, placement: Placement, dpi: float) -> Stamp:
    figure, canvas = _scratch(dpi)
    label = _text(0, 0, text, color, font, placement)
    label.set_figure(figure)
    label.set_transform(IdentityTransform())  # position in display pixels
    origin = SCRATCH_PX // 2  # where the label's point goes on the shared canvas
    label.set_position((origin, origin))
    box = label.get_window_extent(canvas).translated(-origin, -origin)  # around the point
    left, bottom = math.floor(box.x0) - PAD, math.floor(box.y0) - PAD  # the image, around the point
    width, height = math.ceil(box.x1) + PAD - left, math.ceil(box.y1) + PAD - bottom
    x0, y0 = origin + left, origin + bottom  # the image on the canvas
    if x0 < 0 or y0 < 0 or x0 + width > SCRATCH_PX or y0 + height > SCRATCH_PX:  # a canvas of its own
        canvas, x0, y0 = RendererAgg(width, height, dpi), 0, 0
        label.set_position((-left, -bottom))
    label.draw(canvas)
    pixels = np.asarray(canvas.buffer_rgba())  # top row first
    used = pixels[canvas.height - y0 - height:canvas.height - y0, x0:x0 + width]
    image = np.ascontiguousarray(used[::-1])  # draw_image wants the bottom row first
    used[...] = BLANK  # leave the shared canvas as it was made
    return Stamp(image, left, bottom, box)
