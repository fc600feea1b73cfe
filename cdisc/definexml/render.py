"""Render a :class:`~cdisc.definexml.model.Define` with the Jinja2 templates in the top-level ``define/`` folder.

The package reaches the templates through ``cdisc/definexml/templates``, a link to
``define/`` that the build copies into the wheel, so an installed package has them too.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from cdisc.definexml.model import Define


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cdisc.definexml", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )


def render_xml(define: Define) -> bytes:
    """define.xml as UTF-8 bytes."""
    return _environment().get_template("define.xml.j2").render(d=define).encode("utf-8")


def render_html(define: Define) -> bytes:
    """The reviewer's HTML view of the same content, as UTF-8 bytes."""
    return _environment().get_template("define.html.j2").render(d=define, ref=define.lookup()).encode("utf-8")
