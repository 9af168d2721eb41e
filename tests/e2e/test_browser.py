"""The app in Chromium: every page draws, an AG Grid edit reaches the figure, downloads are real files, uploads work."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests (or fail them when the browser is required)
    expect = None

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.views.registry import VIEW_NAMES

pytestmark = pytest.mark.e2e

PAGES = ("", *VIEW_NAMES)
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "svg": b"<?xml", "html": b"<html"}
GRID = 'iframe[title="st_aggrid.AgGrid.agGrid"]'


def settle(page, timeout: float = 90.0) -> None:
    """Wait until the app has connected and finished its script run (Streamlit marks both on the app element)."""
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout * 1000)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout * 1000)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout * 1000)


def open_page(page, server: str, name: str) -> None:
    page.goto(f"{server}/{name}")
    settle(page)


def figure_alt(page) -> str:
    image = page.locator('[data-testid="stImage"] img').first
    return image.get_attribute("alt") or ""


def wait_for_alt(page, text: str, timeout: float = 60.0) -> float:
    """Seconds until the figure's alt text (every text in the figure) contains `text`."""
    started = time.time()
    image = page.locator('[data-testid="stImage"] img').first
    expect(image).to_have_attribute("alt", re.compile(re.escape(text)), timeout=timeout * 1000)
    return time.time() - started


def wait_for_count(page, selector: str, at_least: int, timeout: float = 30.0) -> None:
    expect(page.locator(selector).nth(at_least - 1)).to_be_attached(timeout=timeout * 1000)


def full_screenshot(page, path) -> None:
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('section, div')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1500, "height": min(int(height) + 40, 5000)})
    settle(page)
    for index in range(page.locator(GRID).count()):  # grids redraw after the resize: wait for their rows
        page.frame_locator(GRID).nth(index).locator(".ag-row").first.wait_for(timeout=15000)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1500, "height": 1300})


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_errors(page, server, artifacts, name):
    open_page(page, server, name)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    if name == "scatter":
        page.wait_for_selector(".js-plotly-plot", timeout=20000)
    elif name:
        page.wait_for_selector('[data-testid="stImage"] img', timeout=30000)  # a busy machine draws later
        assert len(figure_alt(page)) > 20
        wait_for_count(page, '[data-testid="stDownloadButton"]', 4)  # the download bar comes after the figure
    full_screenshot(page, artifacts / f"page_{name or 'runs'}.png")


def edit_cell(page, grid_index: int, row: int, column: str, value: str) -> None:
    grid = page.frame_locator(GRID).nth(grid_index)
    cell = grid.locator(f'.ag-row[row-index="{row}"] .ag-cell[col-id="{column}"]')
    cell.scroll_into_view_if_needed()
    cell.click()
    editor = cell.locator("input")
    editor.wait_for(timeout=10000)
    editor.fill(value)
    editor.press("Enter")


def test_aggrid_label_edit_reaches_the_figure_and_its_files(page, server, artifacts):
    open_page(page, server, "heatmap")
    grid = page.frame_locator(GRID).first
    expect(grid.locator('.ag-row[row-index="3"] .ag-cell[col-id="run"]')).to_have_text("he_she", timeout=20000)
    timings = []
    for n, label in enumerate(["Masc vs fem", "<b>not bold</b> & co", "Masculine / feminine"]):
        edit_cell(page, 0, 3, "display", label)
        timings.append(wait_for_alt(page, label))
        settle(page)
        if n == 1:  # HTML in a label is shown as text, never run
            expect(grid.locator('.ag-row[row-index="3"] .ag-cell[col-id="display"]')).to_have_text(label)
    with page.expect_download() as info:
        page.locator('[data-testid="stDownloadButton"] button', has_text="SVG").first.click()
    svg = open(info.value.path(), "rb").read().decode("utf-8")
    assert "Masculine / feminine" in svg
    # The label is shared: the Venn of the same selection uses it too.
    open_page(page, server, "venn")
    assert "Masc" not in figure_alt(page), "a new browser session starts from a clean mapping"
    full_screenshot(page, artifacts / "after_edit_venn.png")
    (artifacts / "redraw_after_label_edit.json").write_text(json.dumps(
        {"view": "heatmap", "seconds_edit_to_new_figure_in_browser": [round(t, 3) for t in timings]}, indent=2))


def test_class_grid_edit_renames_the_legend(page, server, artifacts):
    open_page(page, server, "distributions")
    classes = page.frame_locator(GRID).nth(1)
    expect(classes.locator('.ag-row[row-index="0"] .ag-cell[col-id="label"]')).not_to_have_text("", timeout=20000)
    labels = [classes.locator(f'.ag-row[row-index="{i}"] .ag-cell[col-id="label"]').inner_text() for i in range(4)]
    row = labels.index("1SG")
    edit_cell(page, 1, row, "display", "first person singular")
    wait_for_alt(page, "first person singular")
    settle(page)
    full_screenshot(page, artifacts / "distributions_renamed.png")


@pytest.mark.parametrize("view, formats", [("heatmap", ("png", "pdf", "svg", "csv")), ("scatter", ("html", "csv"))])
def test_downloads_are_real_files(page, server, view, formats):
    open_page(page, server, view)
    for fmt in formats:
        button = page.locator('[data-testid="stDownloadButton"] button', has_text=fmt.upper()).first
        with page.expect_download(timeout=60000) as info:
            button.click()
        download = info.value
        data = open(download.path(), "rb").read()
        assert download.suggested_filename.startswith(view) and download.suggested_filename.endswith(f".{fmt}")
        if fmt == "csv":
            assert data.count(b"\n") >= 3 and b"," in data
        else:
            head = data[:600].lower() if fmt == "html" else data
            assert head.startswith(MAGIC[fmt]) or (fmt in ("svg", "html") and MAGIC[fmt] in head), data[:100]
            assert len(data) > 5000
    assert page.locator('[data-testid="stException"]').count() == 0


def test_interactive_convergence_highlights_from_the_legend_and_downloads(page, server, artifacts):
    open_page(page, server, "convergence?runs=he_she&runs=she_they&runs=suite_pronouns/he__they&mode=interactive")
    live = page.get_by_role("switch", name=re.compile("Live: re-read"))
    live.uncheck(force=True)  # a panel that reruns every 2 s would replace a download button that is still working
    expect(live).not_to_be_checked()
    settle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for(timeout=20000)
    chart.scroll_into_view_if_needed()
    before = chart.screenshot()
    box = chart.bounding_box()
    page.mouse.click(box["x"] + 80, box["y"] + box["height"] - 32)  # a run in the legend below the panels
    deadline = time.time() + 15
    while (after := chart.screenshot()) == before and time.time() < deadline:  # until the chart redraws
        page.wait_for_timeout(100)
    (artifacts / "convergence_interactive_picked.png").write_bytes(after)
    assert after != before, "picking a run in the legend fades the others"
    for fmt in ("html", "png"):
        button = page.locator('[data-testid="stDownloadButton"] button', has_text=fmt.upper()).first
        with page.expect_download(timeout=60000) as info:
            button.click()
        data = open(info.value.path(), "rb").read()
        assert info.value.suggested_filename == f"convergence_3runs_mode-interactive.{fmt}"
        if fmt == "html":
            marked = ("suite_pronouns/he__they \u2020".encode(), b"suite_pronouns/he__they \\u2020")  # raw, escaped
            assert b"run_pick" in data and any(label in data for label in marked)
        else:
            assert data.startswith(MAGIC["png"]) and len(data) > 20000
    assert page.locator('[data-testid="stException"]').count() == 0


def test_zip_upload_opens_the_runs(page, server, tmp_path, artifacts):
    archive = tmp_path / "my_runs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for run in ("he_she", "she_they", "he_it"):
            for path in sorted((DEMO_ROOT / run).rglob("*")):
                if path.is_file():
                    zf.write(path, f"my_runs/{run}/{path.relative_to(DEMO_ROOT / run).as_posix()}")
    open_page(page, server, "")
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.locator('input[type="file"]').set_input_files(str(archive))
    page.get_by_text("Upload: my_runs.zip").wait_for(timeout=90000)  # unpacked and discovered by the server
    settle(page)
    assert page.get_by_text("3 runs", exact=False).count() >= 1
    open_page_in_session(page, "Heatmap")
    assert "he_it" in figure_alt(page) and "1SG_1PL" not in figure_alt(page)
    full_screenshot(page, artifacts / "uploaded_heatmap.png")
    page.get_by_role("button", name="Open the demo runs").click()
    wait_for_alt(page, "1SG_1PL", timeout=60)  # the demo's runs, drawn after the rerun the button starts


def open_page_in_session(page, title: str) -> None:
    """Navigate with the sidebar (same session), unlike page.goto, which starts a new one."""
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
    path = link.get_attribute("href").rstrip("/").rsplit("/", 1)[-1]
    link.click()
    expect(page).to_have_url(re.compile(rf"/{re.escape(path)}(\?|$)"))  # the new page's run has started
    expect(page.get_by_role("heading", name=re.compile(title, re.IGNORECASE)).first).to_be_visible(timeout=30000)
    settle(page)


def test_hostile_zip_is_refused_in_one_line(page, server, tmp_path):
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("runs/ok.txt", b"fine")
        zf.writestr("../../outside.txt", b"evil")
    path = tmp_path / "evil.zip"
    path.write_bytes(evil.getvalue())
    open_page(page, server, "")
    page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text("Upload refused: ../../outside.txt: path leaves the upload folder ('..')").wait_for(timeout=90000)


def test_folder_upload_opens_the_runs(page, server, tmp_path):
    import shutil

    folder = tmp_path / "lab_runs"
    for run in ("he_she", "she_they"):
        shutil.copytree(DEMO_ROOT / run, folder / run)
    open_page(page, server, "")
    page.locator('[data-testid="stFileUploader"]').nth(1).locator('input[type="file"]').set_input_files(str(folder))
    page.get_by_text("Upload: lab_runs/", exact=False).wait_for(timeout=90000)
    settle(page)
    assert page.get_by_text("2 runs", exact=False).count() >= 1


def test_bundle_upload_draws_the_topk_views(page, server, tmp_path):
    from gradiend_st import bundle
    from gradiend_st.io.discover import discover

    archive = tmp_path / "demo_bundle.zip"
    bundle.pack(discover(DEMO_ROOT), ["he_she", "she_they", "he_it"], archive, topk_max=2000)
    open_page(page, server, "")
    page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(str(archive))
    page.get_by_text("Upload: demo_bundle.zip").wait_for(timeout=90000)
    settle(page)
    for title in ("Heatmap", "Venn"):
        open_page_in_session(page, title)
        alt = figure_alt(page)
        assert "he_it" in alt and "she_they" in alt and "1SG_1PL" not in alt, alt[:300]
    assert page.locator('[data-testid="stException"]').count() == 0
