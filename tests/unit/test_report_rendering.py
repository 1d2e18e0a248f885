"""The report's HTML: self-contained, escaped, with charts drawn here."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.rendering.charts import BAR_WIDTH, bar_chart
from chalicelib.rendering.monthly_report import render_monthly_report
from tests.unit.test_monthly_audit_service import World, normal_month, plant_violations

HOSTILE = '<script>alert("x")</script>'


def document(world: World) -> dict[str, Any]:
    from chalicelib.services import monthly_audit

    report = monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps())
    return monthly_audit.report_document(report)


def test_bars_are_proportional_and_labels_escaped() -> None:
    svg = bar_chart("Accesses <by> user", [("a&b", 10), ("c", 5), (HOSTILE, 0)])
    widths = [int(width) for width in re.findall(r'<rect [^>]*width="(\d+)"', svg)]
    assert widths == [BAR_WIDTH, BAR_WIDTH // 2, 0]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "a&amp;b" in svg and "Accesses &lt;by&gt; user" in svg


def test_an_empty_chart_says_so() -> None:
    assert "Nothing recorded." in bar_chart("Refusals", [])


def test_the_page_is_self_contained_and_escapes_every_value() -> None:
    world = World()
    normal_month(world)
    plant_violations(world)
    data = document(world)
    data["findings"][0]["subject"] = HOSTILE
    data["agency"] = HOSTILE
    page = render_monthly_report(data)
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= 2
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<svg") >= 6
    for finding in data["findings"][1:]:
        assert finding["subject"] in page
    assert "The State Auditor's questions (report 2019-118)" in page


def test_a_quiet_month_reads_no_findings() -> None:
    world = World()
    normal_month(world)
    page = render_monthly_report(document(world))
    assert "No findings this month." in page
    assert 'class="review"' not in page


def test_the_page_shows_the_signed_checkpoint_and_every_disagreement_escaped() -> None:
    world = World()
    normal_month(world)
    data = document(world)
    checkpoint = data["anchoring"]["checkpoint"]
    page = render_monthly_report(data)
    assert f"Built against signed checkpoint #{checkpoint['number']}" in page
    assert checkpoint["hash"] in page and data["anchoring"]["public_key_sha256"] in page
    assert "Every record of the month is anchored by it." in page
    data["anchoring"]["problems"] = [{"kind": "chain_cut_below_checkpoint", "checkpoint": 1,
                                      "detail": HOSTILE}]
    page = render_monthly_report(data)
    assert "Disagreements with the checkpoints" in page
    assert "<script" not in page and "&lt;script&gt;" in page
    data["anchoring"]["checkpoint"] = None
    assert "No signed checkpoint exists yet" in render_monthly_report(data)
