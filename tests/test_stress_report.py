"""`escalate stress --report`: one self-contained page whose summary agrees with the JSON
metrics, with provenance; rendered by headless Chromium when it is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tui.cli import main

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                 if Path(p).exists()), None) or shutil.which("chromium")
SENTENCE = re.compile(r"Stage (\d) \(([^)]*)\) is met in ([\d.]+)% \(([\d.]+)–([\d.]+)%\)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    page = out / "report.html"
    argv = ["stress", "liverpool-lscb", "--engine", "fast", "--cases", "9600", "--seed",
            "5", "--target", "stage1.breach<=0.20", "--report", str(page), "--json"]
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv) == 0
    return page.read_text(encoding="utf-8"), json.loads(buffer.getvalue())


def test_summary_sentences_agree_with_the_json_metrics(report):
    page, data = report
    summary = page[page.index('id=summary'):page.index("</section>")]
    found = SENTENCE.findall(summary)
    assert [f[0] for f in found] == ["1", "2", "3", "4"]
    metrics = {m["name"]: m for m in data["metrics"]}
    for number, _deadline, met, low, high in found:
        breach = metrics[f"breach.stage{number}"]
        decimals = len(met.partition(".")[2])
        assert float(met) == round((1 - breach["mean"]) * 100, decimals)
        assert float(low) == round((1 - breach["ci_high"]) * 100, decimals)
        assert float(high) == round((1 - breach["ci_low"]) * 100, decimals)
    assert "Stage 2 (Day 9)" in summary
    target = data["target"]
    assert f"Day {target['value']:g} would meet 80%" in summary
    # the summary comes first, before any table or figure
    assert page.index("id=summary") < page.index("<table") < page.index("<svg")


def test_report_is_self_contained_with_provenance(report):
    page, data = report
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    assert "<script" not in page
    assert page.count("<svg") == 2  # both plots inline
    prov = data["provenance"]
    for text in (str(prov["seed"]), prov["policy"]["sha256"], prov["versions"]["numpy"],
                 prov["date_utc"]):
        assert text in page
    assert "@media print" in page
    assert "Assumed ladder" not in page  # Liverpool's ladder is the policy's own


def test_assumed_ladder_warning_for_bs3(tmp_path, capsys):
    page = tmp_path / "bs3.html"
    assert main(["stress", "bs3-early-years", "--engine", "fast", "--cases", "2400",
                 "--report", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "Assumed ladder" in text
    assert text.index("Assumed ladder") < text.index("<h2>Stages")


def test_report_needs_an_html_name(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["stress", "liverpool-lscb", "--report", "out.pdf"])
    assert exit_info.value.code == 2
    assert "--report expects" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed "
                    "(apt-get install chromium); CI installs it")
def test_report_renders_in_headless_chromium(report, tmp_path):
    page, _ = report
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         f"file://{path}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "is met in" in done.stdout and "<svg" in done.stdout
    pdf = tmp_path / "report.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    f"--print-to-pdf={pdf}", f"file://{path}"], capture_output=True,
                   timeout=120, check=True)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_target_sentence_speaks_the_deadline_unit():
    from sim.report_html import value_text

    assert value_text("stages.stage2.deadline.day", 12) == "Day 12"
    assert value_text("stages.stage2.deadline.within", 7, "working_days") == "7 working days"
    assert value_text("stages.stage2.deadline.within", 1, "working_days") == "1 working day"
    assert value_text("run.horizon_days", 90) == "run.horizon_days = 90"
