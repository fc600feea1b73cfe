"""What XPath's ``text()`` gives of an element, without XPath.

The define.xml rules find elements by local name in any namespace with lxml's ``{*}name`` iteration (``tree.iter``,
``iterchildren``), as ``local-name()`` does but without compiling an XPath expression per element.
"""

from __future__ import annotations

from lxml import etree


def text_nodes(node: etree._Element) -> list[str]:
    """The text nodes that are children of ``node``, in order (XPath's ``text()``): its text and its children's tails.

        >>> text_nodes(etree.fromstring("<a> x <b/>y<c/></a>"))
        [' x ', 'y']
    """
    return [text for text in (node.text, *(child.tail for child in node)) if text]
