"""The overlap-curves page in Chromium: a multi-seed run's band and all-seeds line, its seed report under the figure,
an option change redrawing the figure, and the CSV behind it."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests (or fail them when the browser is required)
    expect = None

pytestmark = pytest.mark.e2e

LINK = "curves?runs=he_she&runs=he_it&runs=she_they&runs=he_she_seeds"


def figure(page):
    return page.locator('[data-testid="stImage"] img').first


def test_curves_page_shows_seed_band_seed_report_and_redraws(page, server, artifacts):
    page.goto(f"{server}/{LINK}")
    expect(figure(page)).to_have_attribute("alt", re.compile(r"he_she_seeds: seed pairs \(min–max, 3\)"),
                                           timeout=90_000)
    expect(figure(page)).to_have_attribute("alt", re.compile("he_she_seeds: in all 3 seeds"))
    expect(figure(page)).to_have_attribute("alt", re.compile("Sign agreement for the shared class"))
    report = page.get_by_text("Seed report: he_she_seeds")
    expect(report).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"3 of 3 seeds converged \(need 1\); best seed 1"))).to_be_visible()
    expect(page.get_by_text("Pairwise seed overlaps in the studio (decoder-weight, largest k)")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2)  # the seeds, the studio's pairs
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.screenshot(path=str(artifacts / "curves_page.png"), full_page=True)

    page.locator('[data-testid="stSelectbox"]').filter(has_text="value").first.click()
    page.get_by_role("option", name="times_chance").click()
    expect(figure(page)).to_have_attribute("alt", re.compile("shared ÷ chance"), timeout=60_000)
    expect(page.get_by_text("Seed report: he_she_seeds")).to_be_visible()

    with page.expect_download(timeout=60_000) as info:
        page.locator('[data-testid="stDownloadButton"] button', has_text="CSV").first.click()
    rows = open(info.value.path(), encoding="utf-8").read().splitlines()
    assert rows[0].startswith("kind,run_a,run_b,topk")
    assert any(row.startswith("seed pair,he_she_seeds/seeds/seed_0,he_she_seeds/seeds/seed_1,") for row in rows)
    assert any(row.startswith("all seeds,he_she_seeds,3 seeds,") for row in rows)
