"""The Decoder page in Chromium: switching the selection policy and the LMS ratio moves the starred and outlined cell
to where gradiend's selection rule (the studio's `analysis.decoder.select`) says it goes."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests (or fail them when the browser is required)
    expect = None

from gradiend_st.analysis.decoder import select
from gradiend_st.analysis.decoder_runs import read_run_decoder
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover

pytestmark = pytest.mark.e2e
RUN = "he_she"
WAIT_MS = 60_000


def selected(policy: str, ratio: float):
    decoder = read_run_decoder(discover(DEMO_ROOT).get(RUN))
    return select(decoder.grid, "he", decoder.class_to_ff, policy=policy, ratio=ratio)


def figure(page):
    return page.locator('[data-testid="stImage"] img').first


def expect_alt(page, *parts: str) -> None:
    """The figure's alt text (every text of the figure) contains all `parts`, once the app has redrawn it."""
    pattern = "".join(f"(?=.*{re.escape(part)})" for part in parts)
    expect(figure(page)).to_have_attribute("alt", re.compile(pattern, re.S), timeout=WAIT_MS)


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()  # the selectbox's combobox input carries the option's name
    page.get_by_role("option", name=option, exact=True).click()


def type_number(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")


def test_policy_and_ratio_move_the_selected_cell(page, server, artifacts):
    threshold, product = selected("threshold", 0.99), selected("product", 0.95)
    assert (threshold.learning_rate, product.learning_rate) == (0.1, 1.0), "the demo grid should show a move"
    page.goto(f"{server}/decoder?run={RUN}")
    expect_alt(page, f"{RUN}: probability shifts, strengthen he",
               f"selected by LMSThresholdPolicy(ratio=0.99):\nlr {threshold.learning_rate:g}, "
               f"P(he) = {threshold.value:.3f}, LMS {threshold.lms:.3f}")
    page.screenshot(path=str(artifacts / "decoder_threshold.png"))

    choose(page, "policy", "product")
    type_number(page, "ratio", "0.95")
    expect_alt(page, f"selected by LMSTimesMetricPolicy():\nlr {product.learning_rate:g}, "
                     f"P(he) = {product.value:.3f}, LMS {product.lms:.3f}")
    assert "LMS threshold" not in figure(page).get_attribute("alt")  # the product policy uses none
    page.screenshot(path=str(artifacts / "decoder_product.png"))

    choose(page, "plot", "grid")  # the outlined cell of the grid moved with it, greyed cells follow the ratio
    expect_alt(page, f"selected for P(he): lr {product.learning_rate:g}", "LMS < 0.95 × base LMS",
               "LMSTimesMetricPolicy()")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(artifacts / "decoder_grid_product.png"))
