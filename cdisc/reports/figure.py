"""The reports' plots: a matplotlib figure on the Agg canvas (no display needed) and its PNG bytes.

matplotlib is imported when the first figure is made, not with the reports, so commands that draw
nothing do not load it. A report draws its plots one after the other on one figure, cleared of the
previous plot's data (:func:`clear_plotted`): new axes make their ticks anew and a new canvas measures
every text anew, which costs more than drawing them; the canvas draws a text it drew before (same string, font
and place) from the glyph images it drew then (:mod:`cdisc.reports.textcache`). Figures have fixed margins (measuring every text
to lay them out, ``tight_layout``, costs a second drawing) and plain-number tick labels on log axes
(matplotlib's default powers of ten are mathtext, slow to parse and draw). The PNG is written here
(:func:`png_bytes`) with no software or date metadata, so the same data give the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

__all__ = ["agg_figure", "clear_plotted", "plain_log_ticks", "png_bytes"]

DPI = 100


def agg_figure(width: float, height: float, *, left: float, right: float, bottom: float, top: float,
               wspace: float | None = None) -> Figure:
    """An empty ``width`` x ``height`` inch figure on the (text-caching) Agg canvas whose subplots fill the given
    margins (fractions of the figure, as in ``Figure.subplots_adjust``)."""
    from matplotlib.figure import Figure

    from cdisc.reports.textcache import TextCachingCanvas

    figure = Figure(figsize=(width, height), dpi=DPI)
    TextCachingCanvas(figure)
    figure.subplots_adjust(left=left, right=right, bottom=bottom, top=top, wspace=wspace)
    return figure


def clear_plotted(axes: Axes) -> None:
    """Take off what was plotted on ``axes`` (lines, collections, legend) and forget its data limits, so that
    the next plot draws on them as on new axes: limits autoscaled again, colours from the start of the cycle.
    Titles, labels, scales and ticks stay (set them anew where they change).

        >>> from matplotlib.colors import to_hex
        >>> from matplotlib.figure import Figure
        >>> axes = Figure().add_subplot()
        >>> _ = axes.plot([0, 10], [0, 10], label="first")
        >>> _ = axes.legend()
        >>> axes.set_xlim(left=0)
        (0.0, 10.5)
        >>> clear_plotted(axes)
        >>> line, = axes.plot([1, 2], [1, 2])
        >>> len(axes.lines), axes.get_legend(), to_hex(line.get_color()), [float(x) for x in axes.get_xlim()]
        (1, None, '#1f77b4', [0.95, 2.05])
    """
    from matplotlib.transforms import Bbox

    for artist in [*axes.lines, *axes.collections]:
        artist.remove()
    if axes.legend_ is not None:
        axes.legend_.remove()
    axes.relim()
    axes.viewLim.set_points(Bbox.unit().get_points())  # as new axes' (with no data they are kept, not autoscaled)
    axes.set_prop_cycle(None)
    axes.autoscale()


def plain_log_ticks(axis: Axis) -> None:
    """Label a log axis with plain numbers (0.01, 1, 100) where matplotlib would write powers of ten,
    at the same ticks. Call it once the data are drawn: over more than a decade and a half, where only
    powers of ten are labelled, the unlabelled ticks between them are at 2 and 5 only (not 2 to 9: each
    tick costs as much to draw as a label).

        >>> from matplotlib.figure import Figure
        >>> axes = Figure().add_subplot()
        >>> _ = axes.plot([1, 2], [0.001, 100])
        >>> axes.set_yscale("log")
        >>> plain_log_ticks(axes.yaxis)
        >>> axes.yaxis.get_major_formatter()(0.1), axes.yaxis.get_major_formatter()(1e-5)
        ('0.1', '1e-05')
    """
    from matplotlib.ticker import LogFormatter, LogLocator

    class PlainLogFormatter(LogFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:g}" if super().__call__(x, pos) else ""

    low, high = axis.get_view_interval()
    if high > 10 ** 1.5 * low:
        axis.set_minor_locator(LogLocator(subs=(2, 5)))
    axis.set_major_formatter(PlainLogFormatter())
    axis.set_minor_formatter(PlainLogFormatter())


def png_bytes(figure: Figure) -> bytes:
    """The figure drawn on its Agg canvas as an 8-bit RGB PNG holding its resolution and nothing else (no
    software or date metadata, no alpha channel: the figure is opaque). Each row is stored as its difference
    from the row above (PNG filter "Up"; a plot's rows are mostly like the row above) and zlib compresses the
    rows at level 3: smaller and about twice as fast as Pillow's choice of a filter per row.

        >>> figure = agg_figure(0.2, 0.1, left=0, right=1, bottom=0, top=1)
        >>> png = png_bytes(figure)
        >>> png[:8], png[12:16], int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        (b'\\x89PNG\\r\\n\\x1a\\n', b'IHDR', 20, 10)
    """
    canvas = cast("FigureCanvasAgg", figure.canvas)  # (agg_figure's)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[:, :, :3]
    height, width, _ = pixels.shape
    rows = np.empty((height, 1 + 3 * width), np.uint8)
    rows[:, 0] = 2  # filter "Up" (the first row's row above is zeros: its bytes as they are)
    rows[0, 1:] = pixels[0].reshape(-1)
    rows[1:, 1:] = np.subtract(pixels[1:], pixels[:-1], dtype=np.uint8).reshape(height - 1, -1)  # modulo 256
    per_metre = round(DPI / 0.0254)
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8 bits, RGB, no interlace
        _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 3)),
        _png_chunk(b"IEND", b""),
    ])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
