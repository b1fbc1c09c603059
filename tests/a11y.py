"""axe-core in Debian's Chromium, offline: the axe.min.js that axe-playwright-python ships is
injected into the page, and the serious and critical violations come back as lines to
print when a test fails."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

GRAVE = ("serious", "critical")
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")


def violations(page: Any, context: Any = None) -> list[str]:
    """axe's serious and critical findings on the page (or within `context`, a selector or
    axe context object), one line each: the rule, what it says, the first offending node."""
    results = Axe().run(page, context=context)
    found = []
    for v in results.response["violations"]:
        if v.get("impact") not in GRAVE:
            continue
        node = v["nodes"][0] if v["nodes"] else {}
        found.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} node(s); "
                     f"first {node.get('target')}: {node.get('failureSummary', '')[:160]})")
    return found


def rules_run(page: Any) -> int:
    """How many rules axe applied (a page axe could not read would apply none)."""
    results = Axe().run(page, options={"resultTypes": ["passes"]})
    return len(results.response["passes"])
