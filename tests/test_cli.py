"""The command line as a script or a person uses it, in subprocesses: global options before or
after the command, --json results on stdout, problems on stderr, shell completion, and the
README's exit codes."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from fakes import FakeFred
from live import KEY, catalog, fred_data, write_config

from reportgen import PROJECT_ROOT
from reportgen.cli import JSON_COMMANDS
from tests.conftest import SAMPLE_CONFIG, run_cli


def test_global_options_work_before_or_after_the_command():
    before = run_cli("--config", str(SAMPLE_CONFIG), "config")
    after = run_cli("config", "--config", str(SAMPLE_CONFIG))
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout
    assert before.stdout.startswith(f"# configuration: {SAMPLE_CONFIG}")
    # the command's own defaults never undo a global option given before it
    from reportgen.cli import parser

    for argv in (["-q", "--json", "--config", "x.toml", "doctor"],
                 ["doctor", "-q", "--json", "--config", "x.toml"],
                 ["-q", "doctor", "--config", "x.toml", "--json"]):
        args = parser().parse_args(argv)
        assert (args.quiet, args.json, str(args.config), args.verbose) == (
            True, True, "x.toml", 0), argv
    assert parser().parse_args(["-vv", "send"]).verbose == 2


@pytest.mark.parametrize(("args", "fragment"), [
    (["--json", "config"], "--json: `reportgen config` has no JSON output; it works with run, "
                           "fetch, indicators, doctor, send"),
    (["-q", "sections", "-v"], "-q/--quiet and -v/--verbose contradict each other"),
    (["send", "--output"], "argument --output: expected one argument"),
])
def test_usage_errors_are_one_line_on_stderr_with_exit_2(args, fragment):
    r = run_cli(*args)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reportgen: error:") and fragment in lines[0]


def test_every_json_command_accepts_json_and_lists_it():
    assert JSON_COMMANDS == ("run", "fetch", "indicators", "doctor", "send")
    for command in JSON_COMMANDS:
        assert "--json" in run_cli(command, "--help").stdout


@pytest.mark.slow
def test_indicators_and_doctor_as_json(tmp_path):
    write_config(tmp_path)  # every source a closed port; an empty store
    r = run_cli("indicators", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    known = catalog()
    assert len(rows) == len(known.indicators) + len(known.companies)
    walcl = next(row for row in rows if row["series"] == "WALCL")
    assert walcl == {"series": "WALCL", "source": "fred", "frequency": "weekly_wed",
                     "last_obs": None, "fetched": None, "status": "never fetched", "ok": False}

    r = run_cli("--json", "doctor", cwd=tmp_path)
    assert r.returncode == 1  # the sources cannot be reached
    result = json.loads(r.stdout)  # stdout is the JSON document and nothing else
    assert result["ok"] is False
    checks = {c["check"]: c for c in result["checks"]}
    assert checks["configuration"]["ok"] is True
    assert checks["FRED API key"]["ok"] is True
    fred = checks["FRED API http://127.0.0.1:9/fred"]
    assert fred["ok"] is False and "connection refused" in fred["detail"]
    assert checks["SEC EDGAR"]["ok"] is None  # no User-Agent: skipped, and said why


@pytest.mark.slow
def test_fetch_as_json_with_failures_on_stderr(tmp_path):
    with FakeFred(fred_data(["DGS2"])) as fred:
        write_config(tmp_path, fred=fred, key=KEY)
        r = run_cli("fetch", "--series", "DGS2,WALCL", "--json", cwd=tmp_path)
    assert r.returncode == 1  # WALCL: FRED does not know it
    result = json.loads(r.stdout)
    assert result["written"]["DGS2"] > 100
    assert set(result["failed"]) == {"WALCL"} and result["failed"]["WALCL"]["kind"] == \
        "retired"
    assert result["requests"]["FRED"] == 3  # metadata and observations of DGS2; WALCL's 400
    assert "reportgen: warning: WALCL failed (retired)" in r.stderr
    assert "reportgen:" not in r.stdout  # problems only on stderr


@pytest.mark.slow
def test_fetch_errors_go_to_stderr(tmp_path):
    write_config(tmp_path, agent="just-a-tool/1.0")
    r = run_cli("fetch", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert "data.sec_user_agent" in r.stderr


@pytest.mark.slow
def test_run_as_json(tmp_path):
    (tmp_path / "reportgen.toml").write_text(
        '[report]\noutput_dir = "out"\nlanguages = ["en"]\nformats = ["html"]\n'
        '[data]\nsource = "sample"\nstore = "store.sqlite"\n[paths]\n'
        + "".join(f'{k} = "{PROJECT_ROOT / k}"\n'
                  for k in ("templates", "charts", "catalogs", "locales")), encoding="utf-8")
    r = run_cli("run", "--date", "2026-11-23", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["issue_date"] == "2026-11-23" and result["sample"] is True
    assert result["folder"] == str(tmp_path / "out" / "2026-11-23")
    files = {f["path"]: f["bytes"] for f in result["files"]}
    assert {"reportgen-2026-11-23-en.html", "signals.json",
            "charts/s4_reserves.email.png"} <= set(files)
    assert all(size > 0 for size in files.values())
    assert result["failed"] == {} and isinstance(result["seconds"], float)
    assert "\x1b[" not in r.stdout  # no progress spinner or colour codes among the JSON


def test_bash_completion_completes_commands_options_and_shells():
    script = run_cli("completion", "bash")
    assert script.returncode == 0 and "complete -o bashdefault -F _shtab_reportgen" in (
        script.stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        program = (script.stdout + f"\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
                   f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}\n"
                   f"_shtab_reportgen reportgen {words[-1]!r} {words[-2]!r}\n"
                   'printf "%s\\n" "${COMPREPLY[@]}"\n')
        out = subprocess.run(["bash", "-c", program], capture_output=True, text=True,
                             check=True)
        return out.stdout.split()

    assert complete("reportgen", "se") == ["send", "serve", "sections"]
    assert complete("reportgen", "send", "--l") == ["--lang"]
    assert complete("reportgen", "completion", "") == ["bash", "zsh"]
    assert "--json" in complete("reportgen", "doctor", "--")


def test_zsh_completion_is_a_compdef_script():
    r = run_cli("completion", "zsh")
    assert r.returncode == 0 and r.stdout.startswith("#compdef reportgen")
    for command in ("run", "send", "publish", "completion"):
        assert re.search(rf"^\s+{command}:'", r.stdout, re.M), command
    assert run_cli("completion", "fish").returncode == 2
