"""axe-core in Debian's Chromium, offline: the axe.min.js that axe-playwright-python ships is
injected into the page, and the serious and critical violations come back as lines to
print when a test fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axe_playwright_python.sync_playwright import Axe

GRAVE = ("serious", "critical")
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class Audit:
    """One axe run: how many rules it applied (a page axe could not read would apply
    none) and its serious and critical findings, one line each."""

    rules_applied: int
    violations: list[str]


def audit(page: Any, context: Any = None) -> Audit:
    """axe on the page (or within `context`, a selector or axe context object), run once:
    its passes and its violations come from the same run, as axe reports both."""
    response = Axe().run(page, context=context).response
    found = []
    for v in response["violations"]:
        if v.get("impact") not in GRAVE:
            continue
        node = v["nodes"][0] if v["nodes"] else {}
        found.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} node(s); "
                     f"first {node.get('target')}: {node.get('failureSummary', '')[:160]})")
    return Audit(len(response["passes"]), found)


def violations(page: Any, context: Any = None) -> list[str]:
    """axe's serious and critical findings on the page (or within `context`)."""
    return audit(page, context).violations
