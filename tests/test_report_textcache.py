"""The text-caching Agg canvas (cdisc.reports.textcache): a figure drawn again, its texts from the glyph images of the
first drawing, has the pixels of a figure drawn on matplotlib's own canvas, whatever changed in between."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cdisc.reports.textcache import TextCachingCanvas


def _figure(canvas_class: type[FigureCanvasAgg]) -> Figure:
    figure = Figure(figsize=(4, 3), dpi=100)
    canvas_class(figure)
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [1, 3, 2], label="line")
    axes.set_xlabel("Nominal time (h)")
    axes.set_ylabel("Concentration (ug/mL)")
    axes.legend(title="Dose")
    figure.suptitle("Title: mean (SD)")
    figure.text(0.05, 0.02, "rotated", rotation=30)
    figure.text(0.6, 0.02, r"$x^2$ math")
    return figure


def _pixels(figure: Figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()  # type: ignore[attr-defined]


CHANGES = [
    # change made between the two drawings                             what it changes for a text drawn before
    ("nothing",            lambda f: None),                               # every text from the first drawing's glyphs
    ("colour and alpha",   lambda f: f.texts[0].set(color="red", alpha=0.5)),  # the same glyphs, another colour
    ("moved",              lambda f: f.texts[0].set_y(0.5)),               # new glyph images (another position)
    ("other text",         lambda f: f.axes[0].set_xlabel("Time (h)")),    # new glyph images (another string)
    ("font size",          lambda f: f.axes[0].xaxis.label.set_fontsize(14)),
    ("clipped",            lambda f: f.texts[1].set_clip_box(f.axes[0].bbox) or f.texts[1].set_clip_on(True)),
    ("other data",         lambda f: f.axes[0].set_ylim(0, 30)),           # other tick labels, the rest as before
]


@pytest.mark.parametrize("change", [c for _, c in CHANGES], ids=[name for name, _ in CHANGES])
def test_a_figure_drawn_again_has_the_pixels_of_matplotlibs_canvas(change):
    cached, plain = _figure(TextCachingCanvas), _figure(FigureCanvasAgg)
    assert np.array_equal(_pixels(cached), _pixels(plain))
    change(cached)
    change(plain)
    assert np.array_equal(_pixels(cached), _pixels(plain))


def test_texts_drawn_again_come_from_the_first_drawings_glyphs():
    figure = _figure(TextCachingCanvas)
    _pixels(figure)
    renderer = figure.canvas.get_renderer()
    kept = dict(renderer._glyph_images)
    assert kept and all(images for images in kept.values())  # plain texts kept (math text is not)
    _pixels(figure)
    assert renderer._glyph_images.keys() == kept.keys()  # nothing laid out anew
    assert all(renderer._glyph_images[key] is images for key, images in kept.items())
