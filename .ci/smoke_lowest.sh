#!/usr/bin/env bash
# Smoke check of the lower bounds in pyproject.toml: install the project into a fresh venv with every direct
# dependency at the lowest version pyproject allows (uv's --resolution lowest-direct), then run each gradiend-st
# command on the shared fixture runs and open every page of the app. Any failure fails the script, loudly.
#   GRADIEND_ST_SHARED   the shared folder (default: ../shared beside the repo)
#   SMOKE_RESOLUTION     uv's --resolution (default lowest-direct; "highest" checks the newest releases)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${GRADIEND_ST_SHARED:-$(dirname "$0")/../../shared}/fixtures/gradiend_runs_en"
runs="$(cd "$runs" && pwd)"
resolution="${SMOKE_RESOLUTION:-lowest-direct}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore MPLBACKEND=Agg

work="$(mktemp -d "${TMPDIR:-/tmp}/smoke_lowest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$SECONDS
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q uv
"$work/venv/bin/uv" pip install -q --python "$work/venv/bin/python" --resolution "$resolution" "$repo"
echo "smoke ($resolution):"
"$work/venv/bin/uv" pip list --python "$work/venv/bin/python" 2>/dev/null \
    | grep -iE '^(numpy|pandas|pyarrow|matplotlib|matplotlib-venn|pillow|plotly|kaleido|altair|vl-convert-python|streamlit|streamlit-aggrid|safetensors|colorspacious|tueplots) ' \
    | awk '{printf "  %s==%s", $1, $2} END {print ""}'

cd "$work"  # not the repo: the venv's installed copy is what runs
gst="$work/venv/bin/gradiend-st"
step() {
    echo "+ gradiend-st $*"
    if ! "$gst" "$@" --debug >"$work/out.txt" 2>&1; then
        cat "$work/out.txt" >&2
        echo "smoke_lowest.sh: FAILED ($resolution): gradiend-st $*" >&2
        exit 1
    fi
}
step runs "$runs"
step topk "$runs" --runs he_she he_it --topk 100 --json
step venn "$runs" --runs he_she he_it she_they --topk 100
step pack "$runs" --runs he_she he_it she_they he_she_seeds -o "$work/bundle.zip"  # it_they_bin needs torch
step runs "$work/bundle.zip"
step topk "$work/bundle.zip" --runs he_she he_it --topk 100 --json
step venn "$work/bundle.zip" --runs he_she he_it she_they --topk 100
for view in convergence distributions scatter heatmap venn; do
    selection=()  # the app's default selection for one-run views; heatmap and venn would also read it_they_bin
    case "$view" in heatmap|venn) selection=(--runs he_she he_it she_they) ;; esac
    for ext in png svg; do
        step render "$runs" --view "$view" "${selection[@]}" -o "$work/$view.$ext"
        [ -s "$work/$view.$ext" ] || { echo "smoke_lowest.sh: FAILED: $view.$ext is empty" >&2; exit 1; }
    done
done
# With a Chromium the scatter's static files come from plotly through kaleido; the matplotlib twin drawn instead
# (silently, as when plotly and kaleido do not work together) would hide a broken pair of bounds.
if command -v chromium >/dev/null 2>&1 && ! grep -q 'class="main-svg"' "$work/scatter.svg"; then
    echo "smoke_lowest.sh: FAILED ($resolution): scatter.svg was not drawn by plotly + kaleido" >&2
    exit 1
fi
step render "$work/bundle.zip" --view heatmap --runs he_she he_it she_they -o "$work/bundle_heatmap.png"

# The app's pages on the bundled demo runs (Streamlit's AppTest, no browser): the streamlit bound is only exercised
# here. An exception on any page fails; messages the app shows on purpose (st.error) do not.
echo "+ every page of the app (AppTest)"
if ! STREAMLIT_LOGGER_LEVEL=error "$work/venv/bin/python" - "$repo" >"$work/out.txt" 2>&1 <<'EOF'
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

repo = Path(sys.argv[1])
failed = []
for page in sorted((repo / "pages").glob("*.py")):
    at = AppTest.from_file(str(repo / "streamlit_app.py"), default_timeout=120).run()
    at = at.switch_page(f"pages/{page.name}").run()
    failed += [f"{page.name}: {e.value}" for e in at.exception]
if failed:
    sys.exit("app pages raised:\n  " + "\n  ".join(failed))
EOF
then
    cat "$work/out.txt" >&2
    echo "smoke_lowest.sh: FAILED ($resolution): the app" >&2
    exit 1
fi
echo "smoke ($resolution): all commands passed in $((SECONDS - start)) s"
