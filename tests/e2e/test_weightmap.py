"""The Weight map page in Chromium: pick a cell under the figure, and the table lists exactly that cell's weights."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests (or fail them when the browser is required)
    expect = None

from gradiend_st.analysis import weightmap as wm
from gradiend_st.analysis.weightmap_runs import map_selection
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover

pytestmark = pytest.mark.e2e

RUNS = ("he_she", "she_they")


def expected_count(run: str, layer: str, component: str) -> int:
    maps = map_selection(discover(DEMO_ROOT), list(RUNS), "decoder-weight", 100)
    return wm.cell_count(maps.layout, maps.maps[run], layer=layer, component=component)


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.parametrize(("run", "layer", "component"), [("she_they", "layer.0", "attention output"),
                                                        ("he_she", "embeddings", "LayerNorm")])
def test_a_picked_cell_lists_exactly_its_weights(page, server, artifacts, run, layer, component):
    count = expected_count(run, layer, component)
    assert count > 0
    page.goto(f"{server}/weightmap?runs={RUNS[0]}&runs={RUNS[1]}&topk=100")
    figure = page.locator('[data-testid="stImage"] img').first
    expect(figure).to_have_attribute("alt", re.compile(r"Top-100 weights \(decoder-weight\) by layer and component"),
                                     timeout=60_000)
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=60_000)
    choose(page, "Run", run)
    choose(page, "Layer", layer)
    choose(page, "Component", component)
    caption = f"{count} of {run}'s 100 top-k weights (decoder-weight) sit in {layer} · {component}."
    expect(page.get_by_text(caption)).to_be_visible(timeout=30_000)
    grid = page.locator('[data-testid="stDataFrame"] [role="grid"]')
    expect(grid).to_have_attribute("aria-rowcount", str(count + 1), timeout=30_000)  # the header row, then the cells
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(artifacts / f"weightmap_cell_{run}_{layer}.png"), full_page=True)
