"""An Agg canvas that draws a text it has drawn before from the glyph images it drew then.

A report draws many plots on one figure (:mod:`cdisc.reports.figure`), and most of their texts come back at the
same place: axis labels, panel titles, tick labels at the same ticks, legend entries. matplotlib lays out and
rasterises every glyph of every text anew at each draw (FreeType, glyph by glyph, called from Python), which was
most of a plot's drawing time. :class:`TextCachingRenderer` keeps, per text drawn (string, font, size, position,
angle, antialiasing), the glyph images Agg's ``draw_text`` handed to the pixel renderer, and hands the same images
to it the next time, with the colour, alpha and clipping of the new drawing: the same calls with the same
arguments, so the same pixels. Math text and anything else that draws other than glyph images is drawn as usual.

Imported when the first figure is made (it imports matplotlib).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

if TYPE_CHECKING:
    from matplotlib.backend_bases import GraphicsContextBase
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

__all__ = ["TextCachingCanvas", "TextCachingRenderer"]

GlyphImage = tuple[np.ndarray, int, int, float]  # draw_text_image's image, x, y, angle


class _GlyphRecorder:
    """Stands for Agg's pixel renderer while a text is drawn: passes every call on, and keeps the glyph images
    drawn. ``complete`` is False once anything else was asked of it (a text it could not replay alone)."""

    def __init__(self, pixels: Any) -> None:
        self.pixels, self.images, self.complete = pixels, list[GlyphImage](), True

    def draw_text_image(self, image: np.ndarray, x: int, y: int, angle: float, gc: GraphicsContextBase) -> None:
        self.images.append((np.array(image), x, y, angle))
        self.pixels.draw_text_image(image, x, y, angle, gc)

    def __getattr__(self, name: str) -> Any:
        self.complete = False
        return getattr(self.pixels, name)


class TextCachingRenderer(RendererAgg):
    """``RendererAgg`` whose ``draw_text`` draws a plain (not math) text it has drawn before from the glyph images
    it drew then."""

    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)
        self._glyph_images: dict[tuple, list[GlyphImage]] = {}

    def draw_text(self, gc: GraphicsContextBase, x: float, y: float, s: str, prop: FontProperties, angle: float,
                  ismath: bool | Literal["TeX"] = False, mtext: Text | None = None) -> None:
        if ismath:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        key = (s, x, y, angle, gc.get_antialiased(), rcParams["text.hinting"], rcParams["text.kerning_factor"],
               tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
               prop.get_size_in_points(), prop.get_file(), mtext and mtext.get_fontfeatures(), mtext and mtext.get_language())
        images = self._glyph_images.get(key)
        if images is not None:
            for image, left, bottom, image_angle in images:
                self._renderer.draw_text_image(image, left, bottom, image_angle, gc)
            return
        pixels = self._renderer
        recorder = self._renderer = _GlyphRecorder(pixels)
        try:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        finally:
            self._renderer = pixels
        if recorder.complete:
            self._glyph_images[key] = recorder.images


class TextCachingCanvas(FigureCanvasAgg):
    """``FigureCanvasAgg`` drawing with a :class:`TextCachingRenderer` (kept, with what it has drawn, while the
    figure keeps its size and resolution)."""

    def get_renderer(self) -> TextCachingRenderer:
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = TextCachingRenderer(width, height, self.figure.dpi)
            self._lastKey = key
        return self.renderer
