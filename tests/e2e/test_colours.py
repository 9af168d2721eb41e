"""Colour-blind safety in the browser: two classes given tab10's orange and green are flagged by the colour grid."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests (or fail them when the browser is required)
    expect = None

from tests.e2e.test_browser import GRID, edit_cell, full_screenshot, open_page, settle, wait_for_alt

pytestmark = pytest.mark.e2e


def test_orange_and_green_of_tab10_are_flagged_for_protanopia(page, server, artifacts):
    open_page(page, server, "distributions")  # 1SG_1PL, the first run: classes 1SG and 1PL are the first two rows
    warning = page.get_by_text("look alike with")
    expect(warning).to_have_count(0)
    classes = page.frame_locator(GRID).nth(1)
    expect(classes.locator('.ag-row[row-index="1"] .ag-cell[col-id="label"]')).to_have_text("1PL", timeout=20000)
    edit_cell(page, 1, 0, "color", "#ff7f0e")
    wait_for_alt(page, "1SG")
    settle(page)
    edit_cell(page, 1, 1, "color", "#2ca02c")
    pair = page.get_by_text("1SG and 1PL look alike with protanopia")
    expect(pair).to_have_count(1, timeout=20000)
    full_screenshot(page, artifacts / "colour_warning.png")
    page.get_by_role("combobox", name="Preview colours").click()
    page.get_by_role("option", name="protanopia").click()
    expect(page.get_by_text("Preview: as seen with protanopia")).to_be_visible(timeout=20000)
