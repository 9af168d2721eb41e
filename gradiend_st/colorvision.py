"""How colours look with colour-vision deficiency (colorspacious' CVD model) and which pairs become too close.

ΔE is the distance in CAM02-UCS (Luo et al. 2006) after simulating each deficiency at full severity; below 10 two
colours are hard to tell apart at a glance (the threshold the studio warns at).
"""

from __future__ import annotations

import itertools

import numpy as np

SIMULATIONS = {"deuteranopia": "deuteranomaly", "protanopia": "protanomaly", "tritanopia": "tritanomaly"}
MIN_DELTA_E = 10.0


def _rgb(colors: list[str]) -> np.ndarray:
    from matplotlib.colors import to_rgb

    return np.array([to_rgb(c) for c in colors], dtype=float)


def simulate(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """sRGB values in [0, 1] (any shape ending in 3) as seen with `deficiency` (a key of SIMULATIONS or
    "greyscale"), clipped to [0, 1]."""
    from colorspacious import cspace_convert

    if deficiency == "greyscale":  # CIELab lightness kept, chroma removed: a neutral grey under D65
        lab = cspace_convert(rgb, "sRGB1", "CIELab")
        lab[..., 1:] = 0.0
        return np.clip(cspace_convert(lab, "CIELab", "sRGB1"), 0, 1)
    space = {"name": "sRGB1+CVD", "cvd_type": SIMULATIONS[deficiency], "severity": 100}
    return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)


def simulate_png(png: bytes, deficiency: str) -> bytes:
    """A PNG image as seen with `deficiency` (alpha kept)."""
    import io

    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=float) / 255.0
    image[..., :3] = simulate(image[..., :3], deficiency)
    out = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8), "RGBA").save(out, format="PNG")
    return out.getvalue()


def close_pairs(named: dict[str, str], threshold: float = MIN_DELTA_E) -> list[tuple[str, str, str, float]]:
    """[(name a, name b, deficiency, ΔE)] for every pair of differently coloured entries closer than `threshold`
    under a simulation (the worst simulation per pair), closest first."""
    from colorspacious import cspace_convert

    names = [n for n in named if named[n]]
    if len(names) < 2:
        return []
    rgb = _rgb([named[n] for n in names])
    worst: dict[tuple[int, int], tuple[float, str]] = {}
    for deficiency in SIMULATIONS:
        lab = cspace_convert(simulate(rgb, deficiency), "sRGB1", "CAM02-UCS")
        for i, j in itertools.combinations(range(len(names)), 2):
            if named[names[i]].lower() == named[names[j]].lower():
                continue  # the same colour on purpose (e.g. a legend group): not a confusion
            distance = float(np.linalg.norm(lab[i] - lab[j]))
            if distance < threshold and distance < worst.get((i, j), (np.inf, ""))[0]:
                worst[(i, j)] = (distance, deficiency)
    return sorted(((names[i], names[j], d, e) for (i, j), (e, d) in worst.items()), key=lambda item: item[3])


def min_delta_e(colors: list[str]) -> float:
    """The smallest ΔE between any two of `colors` under any of the three simulations."""
    named = {str(i): c for i, c in enumerate(colors)}
    pairs = close_pairs(named, threshold=np.inf)
    return min((p[3] for p in pairs), default=np.inf)
