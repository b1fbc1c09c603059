"""The suite's own set-up: `make test` relies on pytest-xdist's `--dist loadgroup` to run a
module's tests on one worker, so its module fixtures (a cold live-data fetch and build, a
browser and the site) are made once. With pytest 9.2 the group stopped reaching the
scheduler (pytest-xdist#1386) and nothing failed: those fixtures were built once per
worker, a live-data build four times over. pyproject.toml keeps pytest below 9.2."""

from __future__ import annotations

import os

import pytest


@pytest.mark.xdist_group("suite_grouping")
def test_loadgroup_sends_a_group_to_one_worker(request):
    if not os.environ.get("PYTEST_XDIST_WORKER") or not request.config.getvalue("loadgroup"):
        pytest.skip("checks `make test`'s --dist loadgroup; this run has no xdist groups")
    import xdist

    assert request.node.nodeid.endswith("@suite_grouping"), (
        f"pytest-xdist's --dist loadgroup does not group with pytest {pytest.__version__} and "
        f"pytest-xdist {xdist.__version__} (pytest-xdist#1386): keep pytest below 9.2 in "
        "pyproject.toml and run make lock")
