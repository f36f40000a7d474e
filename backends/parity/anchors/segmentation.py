"""Native anchors of the segmentation losses of Catalog II."""

from __future__ import annotations

from lossport.backends.parity.anchors._base import Anchor

TABLE: tuple[Anchor, ...] = ()
