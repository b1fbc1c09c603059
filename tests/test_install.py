"""Install anywhere: the wheel carries its content, `init` starts a workspace, and a
workspace file overrides the built-in file at the same path.

The wheel is built from this checkout and installed, with the locked dependencies, into a
fresh virtual environment; the commands then run in a folder with no checkout in sight.
Everything comes from uv's cache (`make setup` filled it), so the test runs offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from reportgen import PROJECT_ROOT

pytestmark = pytest.mark.slow

CLOSED = "http://127.0.0.1:9"  # nothing listens: sources fail at once, no network is tried


def uv() -> str:
    found = PROJECT_ROOT / ".tools" / "bin" / "uv"
    if found.is_file():
        return str(found)
    path = shutil.which("uv")
    if path is None:
        pytest.fail("uv is missing: run `make setup`")
    return path


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel and the locked dependencies."""
    work = tmp_path_factory.mktemp("install")
    dist = work / "dist"
    r = run(uv(), "build", "--offline", "--wheel", "--out-dir", str(dist), cwd=PROJECT_ROOT)
    assert r.returncode == 0, r.stderr
    wheel = next(dist.glob("reportgen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("reportgen/content/templates/report.html.j2",
                     "reportgen/content/sections/s4/charts.toml",
                     "reportgen/content/charts/house.mplstyle",
                     "reportgen/content/catalogs/indicators.toml",
                     "reportgen/content/locales/zh_Hant/LC_MESSAGES/messages.po",
                     "reportgen/sources/sample_spec.toml"):
        assert required in names, f"{required} missing from the wheel"
    requirements = work / "requirements.txt"
    r = run(uv(), "export", "--locked", "--offline", "--no-dev", "--no-emit-project",
            "--quiet", "-o", str(requirements), cwd=PROJECT_ROOT)
    assert r.returncode == 0, r.stderr
    venv = work / "venv"
    r = run(uv(), "venv", "--quiet", str(venv), "--python", "python3", cwd=work)
    assert r.returncode == 0, r.stderr
    r = run(uv(), "pip", "install", "--offline", "--quiet", "--python",
            str(venv / "bin" / "python"), "-r", str(requirements), str(wheel), cwd=work)
    assert r.returncode == 0, r.stderr
    return venv


def clean_env() -> dict[str, str]:
    """No checkout on the path, sources pointed at a closed port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(REPORTGEN_FRED_API_URL=CLOSED, REPORTGEN_FRED_CSV_URL=CLOSED,
               REPORTGEN_NYFED_URL=CLOSED)
    return env


def test_wheel_runs_in_an_empty_folder_and_workspace_files_override(installed, tmp_path):
    reportgen = str(installed / "bin" / "reportgen")
    env = clean_env()
    r = run(reportgen, "init", "ws", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    ws = tmp_path / "ws"
    for made in ("reportgen.toml", "README.md", "data", "notes"):
        assert (ws / made).exists(), made
    again = run(reportgen, "init", "ws", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "skipped" in again.stdout and "reportgen.toml" in again.stdout

    r = run(reportgen, "doctor", cwd=ws, env=env)
    assert "the installed package" in r.stdout, r.stdout
    assert str(PROJECT_ROOT) not in r.stdout  # nothing is read from the checkout

    r = run(reportgen, "run", "--date", "2026-11-23", cwd=ws, env=env)
    assert r.returncode == 0, r.stderr
    assert "SAMPLE" in r.stdout  # no source answered: the sample, said loudly
    issue = ws / "output" / "2026-11-23"
    for lang in ("en", "zh-Hant", "zh-Hans"):
        for ext in ("pdf", "html"):
            assert (issue / f"reportgen-2026-11-23-{lang}.{ext}").stat().st_size > 10_000

    # A workspace copy of one partial, with one sentence changed, replaces the built-in one.
    builtin = installed.glob("lib/python*/site-packages/reportgen/content/sections/disclaimer")
    partial = next(builtin) / "template.html.j2"
    custom = ws / "sections" / "disclaimer" / "template.html.j2"
    custom.parent.mkdir(parents=True)
    custom.write_text(partial.read_text("utf-8") + "\n<p>House rule: read the appendix.</p>\n",
                      encoding="utf-8")
    r = run(reportgen, "run", "--date", "2026-11-23", "--lang", "en", "--format", "html",
            cwd=ws, env=env)
    assert r.returncode == 0, r.stderr
    html = (issue / "reportgen-2026-11-23-en.html").read_text("utf-8")
    assert "House rule: read the appendix." in html
    r = run(reportgen, "doctor", cwd=ws, env=env)
    assert "sections/disclaimer/template.html.j2" in r.stdout
