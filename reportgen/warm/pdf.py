"""PDF workers: WeasyPrint, fontconfig and the CJK fonts, loaded once."""

from __future__ import annotations

import contextlib
import gc

from reportgen import pdf

with contextlib.suppress(Exception):  # a real problem shows up, clearly, in a real PDF
    pdf.warm_up()
gc.freeze()
