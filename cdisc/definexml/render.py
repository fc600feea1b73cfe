"""Render a :class:`~cdisc.definexml.model.Define` with the Jinja2 templates in the top-level ``define/`` folder.

The package reaches the templates through ``cdisc/definexml/templates``, a link to
``define/`` that the build copies into the wheel, so an installed package has them too.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined

from cdisc.definexml.model import Define


@cache
def environment() -> Environment:
    """The Jinja2 environment of the templates in ``define/``."""
    return Environment(
        loader=PackageLoader("cdisc.definexml", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )


STYLESHEET = "define.xsl"


def render_xml(define: Define) -> bytes:
    """define.xml as UTF-8 bytes, naming the stylesheet written beside it (:func:`stylesheet`)."""
    return environment().get_template("define.xml.j2").render(d=define, stylesheet=STYLESHEET).encode("utf-8")


def stylesheet() -> bytes:
    """The XSLT a browser applies to define.xml (``define/define.xsl``), written beside it."""
    return (files("cdisc.definexml") / "templates" / STYLESHEET).read_bytes()


def render_html(define: Define) -> bytes:
    """The reviewer's HTML view of the same content, as UTF-8 bytes."""
    return environment().get_template("define.html.j2").render(d=define, ref=define.lookup()).encode("utf-8")
