"""Colour-blind-safe palettes: every offered palette keeps its first six colours apart under simulated CVD."""

from __future__ import annotations

import pytest

from gradiend_st.colorvision import MIN_DELTA_E, close_pairs, min_delta_e, simulate_png
from gradiend_st.palettes import DEFAULT, PALETTES, next_color


@pytest.mark.parametrize("name", [name for name, p in PALETTES.items() if p.cvd_safe])
def test_safe_palettes_keep_six_colours_apart_under_every_simulation(name):
    assert min_delta_e(list(PALETTES[name].colors[:6])) >= MIN_DELTA_E


def test_the_unsafe_ones_are_marked_for_a_measured_reason():
    assert min_delta_e(list(PALETTES["tab10"].colors[:6])) < 2, "tab10's orange and green for a protanope"
    assert min_delta_e(list(PALETTES["tol-vibrant"].colors[:6])) < MIN_DELTA_E
    assert DEFAULT == PALETTES["okabe-ito"].colors


def test_close_pairs_name_the_two_labels_and_the_deficiency():
    pairs = close_pairs({"he": "#ff7f0e", "she": "#2ca02c", "it": "#1f77b4"})
    assert pairs[0][:3] == ("he", "she", "protanopia") and pairs[0][3] < 2
    assert close_pairs({"he": "#E69F00", "she": "#56B4E9"}) == []
    assert close_pairs({"group a": "#E69F00", "group b": "#e69f00"}) == [], "one colour on purpose is no confusion"


def test_simulated_png_keeps_size_and_greys_out_colour():
    import io

    import numpy as np
    from PIL import Image

    image = np.zeros((4, 6, 4), dtype=np.uint8)
    image[..., 0], image[..., 3] = 255, 200  # pure red, half transparent
    buffer = io.BytesIO()
    Image.fromarray(image, "RGBA").save(buffer, format="PNG")
    grey = np.asarray(Image.open(io.BytesIO(simulate_png(buffer.getvalue(), "greyscale"))))
    assert grey.shape == image.shape and (grey[..., 3] == 200).all()
    assert np.ptp(grey[..., :3].astype(int), axis=-1).max() <= 2, "greyscale: R = G = B"


def test_neutral_greys_stay_apart_from_every_default_colour():
    from gradiend_st.palettes import NEUTRAL_GREYS

    named = {f"class {i}": c for i, c in enumerate(DEFAULT)} | {f"neutral {i}": g for i, g in enumerate(NEUTRAL_GREYS)}
    assert [p for p in close_pairs(named) if "neutral" in p[0] + p[1]] == []


def test_next_colour_skips_colours_in_use():
    assert next_color([]) == DEFAULT[0]
    assert next_color([DEFAULT[0].lower()]) == DEFAULT[1]
