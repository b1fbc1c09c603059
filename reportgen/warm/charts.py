"""Chart workers: matplotlib, the drawing code and every language's fonts, loaded once."""

from __future__ import annotations

import contextlib
import gc

from reportgen.charts import draw
from reportgen.content import builtin
from reportgen.i18n import language_table

with contextlib.suppress(Exception):  # a broken font list shows up, clearly, when drawing
    draw.warm_up([[f.strip() for f in lang["font_family"].split(",")]
                  for lang in language_table(builtin()).values()])
gc.freeze()
