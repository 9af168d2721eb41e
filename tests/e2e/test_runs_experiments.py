"""Runs as experiments in Chromium: the Runs page's "only what differs" switch, brushing the Sweep view's parallel
coordinates (the selection of the Heatmap follows, and back), and a lasso in the encoder scatter filling the table
of the selected rows. Waits with Playwright's `expect`, never fixed sleeps. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests (or fail them when the browser is required)
    expect = None

from gradiend_st.analysis.run_diff import listed_runs, run_diff
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.views import scatter

pytestmark = pytest.mark.e2e

TIMEOUT = 60_000  # ms: a busy two-core machine draws the first heatmap of ten runs in several seconds
PARCOORDS = ".st-key-sweep-plotly .js-plotly-plot"
SELECTED_TAGS = '[data-testid="stSidebar"] [data-testid="stMultiSelect"] [data-tag]'


def open_page(page, server: str, path: str) -> None:
    page.goto(f"{server}/{path}")
    expect(page.locator('[data-testid="stApp"]')).to_be_visible(timeout=TIMEOUT)


def idle(page) -> None:
    """The app has finished its run (Streamlit's status widget is gone)."""
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT)


def test_only_what_differs_shows_the_differing_arguments(page, server, artifacts):
    open_page(page, server, "")
    headers = page.locator('[data-testid="stDataFrame"] [role="columnheader"]').first.locator("xpath=..")
    expect(page.get_by_text("Only what differs")).to_be_visible(timeout=TIMEOUT)
    expect(headers).not_to_contain_text("pre_prune_config", timeout=TIMEOUT)
    page.get_by_text("Only what differs").click()
    catalog = discover(DEMO_ROOT)
    keys = run_diff(catalog, listed_runs(catalog)).keys
    assert len(keys) == 6
    for key in keys:
        expect(page.locator('[data-testid="stDataFrame"] [role="columnheader"]', has_text=re.compile(f"^{key}$"))
               ).to_have_count(1, timeout=TIMEOUT)
    expect(page.get_by_text("pre_prune_config, post_prune_config in full")).to_be_visible()
    idle(page)
    page.screenshot(path=str(artifacts / "runs_only_what_differs.png"))


def brush(page, axis_index: int, low: float, high: float) -> None:
    """Drag along a parallel axis from `low` to `high` (fractions of its height from the bottom)."""
    overlay = page.locator(f"{PARCOORDS} .parcoords .axis-brush rect.background").nth(axis_index)
    box = overlay.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * (1 - low))
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * (1 - high), steps=12)
    page.mouse.up()


def title_of(page) -> str:
    return page.evaluate(f"() => document.querySelector('{PARCOORDS}').layout.title.text")


def test_brushing_parallel_coordinates_selects_the_heatmap_runs(page, server, artifacts):
    catalog = discover(DEMO_ROOT)
    single_seed = [rid for rid in listed_runs(catalog) if rid != "he_she_seeds"]
    open_page(page, server, "heatmap")
    image = page.locator('[data-testid="stImage"] img').first
    expect(image).to_have_attribute("alt", re.compile("he_she_seeds"), timeout=TIMEOUT)

    open_page(page, server, "sweep?view=sweep&mode=parallel")
    expect(page.locator(f"{PARCOORDS} .parcoords .axis-brush")).to_have_count(9, timeout=TIMEOUT)
    idle(page)
    assert "highlighted: 10 selected runs" in title_of(page)
    page.screenshot(path=str(artifacts / "sweep_parallel_before.png"))
    brush(page, 0, 0.02, 0.45)  # max_seeds: the lower value (1), not 3 (he_she_seeds)
    expect(page.locator(SELECTED_TAGS)).to_have_count(len(single_seed), timeout=TIMEOUT)
    expect(page.locator(f"{PARCOORDS} .gtitle")).to_contain_text(f"highlighted: {len(single_seed)} selected runs",
                                                                  timeout=TIMEOUT)
    idle(page)
    assert "(the brushed ranges)" in title_of(page)
    page.screenshot(path=str(artifacts / "sweep_parallel_brushed.png"))

    page.locator('[data-testid="stSidebarNav"] a', has_text="Heatmap").click()
    image = page.locator('[data-testid="stImage"] img').first
    expect(image).not_to_have_attribute("alt", re.compile("he_she_seeds"), timeout=TIMEOUT)
    alt = image.get_attribute("alt")
    assert all(rid in alt for rid in single_seed), alt

    # And back: a run taken out in the sidebar is no longer highlighted, and the brush no longer describes it.
    page.locator('[data-testid="stSidebar"] [aria-label="Remove he_she"]').click()
    expect(page.locator(SELECTED_TAGS)).to_have_count(len(single_seed) - 1, timeout=TIMEOUT)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Sweep").click()
    expect(page.locator(f"{PARCOORDS} .gtitle")).to_contain_text(
        f"highlighted: {len(single_seed) - 1} selected runs", timeout=TIMEOUT)
    assert "(the brushed ranges)" not in title_of(page)


def test_a_lasso_in_the_scatter_lists_the_selected_rows(page, server, artifacts):
    run = "1SG_1PL"
    data = scatter.load(discover(DEMO_ROOT), [run])
    points = scatter.points(data, scatter.Options()).table
    expected = int((points["category"] == "we").sum())
    assert 0 < expected < len(points)

    open_page(page, server, f"scatter?run={run}")
    plot = page.locator(".js-plotly-plot").first
    expect(plot.locator(".scatterlayer .point").first).to_be_visible(timeout=TIMEOUT)
    idle(page)
    expect(page.get_by_text("Select points with the box or lasso tool")).to_be_visible()
    plot.hover()
    page.locator('.modebar-btn[data-title="Lasso Select"]').first.click()
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullLayout.dragmode === 'lasso'")
    area = plot.locator(".nsewdrag").first.bounding_box()
    # The "we" category's column (x from 1.6 to 2.4 in data units), top to bottom, as a lasso polygon.
    left, right = (page.evaluate(f"() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.l2p({x})")
                   for x in (1.6, 2.4))
    corners = [(left, 2), (right, 2), (right, area["height"] - 2), (left, area["height"] - 2), (left, 4)]
    page.mouse.move(area["x"] + corners[0][0], area["y"] + corners[0][1])
    page.mouse.down()
    for x, y in corners[1:]:
        page.mouse.move(area["x"] + x, area["y"] + y, steps=6)
    page.mouse.up()
    summary = page.locator('[data-testid="stMarkdownContainer"] p', has_text=re.compile(r"selected rows? of"))
    expect(summary).to_have_text(f"{expected} selected rows of {len(points)}", timeout=TIMEOUT)
    idle(page)
    page.screenshot(path=str(artifacts / "scatter_lasso_table.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV of the selected rows").click()
    with open(download.value.path(), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == expected and list(rows[0])[:6] == ["row", "text", "label", "encoded", "source_id", "target_id"]
    assert {row["factual_token"] for row in rows} == {"we"}, "exactly the rows of the lassoed column"
    assert sorted(int(row["row"]) for row in rows) == sorted(points.loc[points["category"] == "we", "row"])

    plot.locator(".nsewdrag").first.dblclick()  # plotly's way to clear a selection
    expect(page.get_by_text("Select points with the box or lasso tool")).to_be_visible(timeout=TIMEOUT)
    expect(summary).to_have_count(0)
