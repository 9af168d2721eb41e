"""`gradiend-st`: the studio's engine from the command line (stable interface for scripts and benchmarks).

Exit status: 0 ok, 1 a run or file could not be used (one line on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from gradiend_st import __version__
from gradiend_st.analysis.topk import PARTS, parse_topk
from gradiend_st.analysis.weightmap import GROUPINGS
from gradiend_st.views.registry import VIEW_NAMES

_TEMP_FOLDERS: list[tempfile.TemporaryDirectory] = []


class CliError(Exception):
    """A problem reported as one line on stderr with exit status 1."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except Exception as exc:  # every failure becomes one line; --debug shows the traceback
        if args.debug:
            raise
        print(f"gradiend-st: {_one_line(exc, args)}", file=sys.stderr)
        return 1


def _one_line(exc: Exception, args) -> str:
    from gradiend_st.io.errors import RunReadError
    from gradiend_st.io.uploads import UploadError

    if isinstance(exc, RunReadError):
        root = getattr(args, "opened_root", None) or getattr(args, "root", None)
        return exc.relative_to(Path(root)) if root else str(exc)
    if isinstance(exc, UploadError):
        return f"{args.root}: {exc}"
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else "not found"
    if isinstance(exc, (CliError, ValueError, InterruptedError, FileExistsError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradiend-st", description="GRADIEND Studio engine: list runs, top-k, Venn, figures.")
    parser.add_argument("--version", action="version", version=f"gradiend-st {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command")

    runs = sub.add_parser("runs", parents=[common], help="list the runs under ROOT")
    runs.add_argument("root")
    runs.add_argument("--json", action="store_true", help="machine-readable output")
    runs.add_argument("--diff", action="store_true",
                      help="only the training_args that differ between the runs (machine paths left out)")
    runs.add_argument("--seeds", action="store_true", help="with --diff: compare the seed checkpoints too")
    runs.set_defaults(handler=cmd_runs)

    for name, handler, help_text in (("topk", cmd_topk, "top-k index sets and pairwise intersection counts"),
                                     ("venn", cmd_venn, "exclusive Venn region counts of 2 or more runs")):
        cmd = sub.add_parser(name, parents=[common], help=help_text)
        cmd.add_argument("root")
        cmd.add_argument("--runs", nargs="+", metavar="ID", required=name == "venn")
        cmd.add_argument("--part", default="decoder-weight", choices=PARTS)
        cmd.add_argument("--topk", default=1000, type=_topk_arg, help="an integer, or a fraction in (0, 1] of input_dim")
        cmd.add_argument("--json", action="store_true", help="machine-readable output")
        cmd.set_defaults(handler=handler)
    where = sub.add_parser("where", parents=[common], help="where the top-k weights sit: counts by parameter, layer, "
                                                          "component or attention head")
    where.add_argument("root")
    where.add_argument("--runs", nargs="+", metavar="ID", help="default: every run")
    where.add_argument("--part", default="decoder-weight", choices=PARTS)
    where.add_argument("--topk", default=1000, type=_topk_arg, help="an integer, or a fraction in (0, 1] of input_dim")
    where.add_argument("--by", default="layer", choices=GROUPINGS)
    where.add_argument("--num-heads", type=int, help="--by head: heads per layer (default: known for the shape)")
    where.add_argument("--json", action="store_true", help="machine-readable output")
    where.set_defaults(handler=cmd_where)
    decoder = sub.add_parser("decoder", parents=[common], help="the rewrite gradiend selects from each decoder grid")
    decoder.add_argument("root")
    decoder.add_argument("--runs", nargs="+", metavar="ID", help="default: every run with decoder_grid_cache.json")
    decoder.add_argument("--policy", default="threshold", choices=("threshold", "product"),
                         help="threshold: LMSThresholdPolicy(ratio) (gradiend's default); product: LMSTimesMetricPolicy")
    decoder.add_argument("--ratio", default=0.99, type=_ratio_arg, help="LMSThresholdPolicy's ratio (default 0.99)")
    decoder.add_argument("--json", action="store_true", help="machine-readable output")
    decoder.set_defaults(handler=cmd_decoder)
    curve = sub.add_parser("curve", parents=[common], help="overlap of top-k sets against k, chance and sign agreement")
    curve.add_argument("root")
    curve.add_argument("--runs", nargs="+", metavar="ID", required=True, help="two or more runs")
    curve.add_argument("--part", default="decoder-weight", choices=PARTS)
    curve.add_argument("--k", nargs="+", required=True, type=_topk_arg, metavar="K",
                       help="values of k: integers, or fractions in (0, 1] of each run's input_dim")
    curve.add_argument("--json", action="store_true", help="machine-readable output")
    curve.set_defaults(handler=cmd_curve)
    pack = sub.add_parser("pack", parents=[common], help="write a light bundle: small files + top-k lists instead of weights")
    pack.add_argument("root", nargs="?", help="folder of runs (omit with --merge)")
    pack.add_argument("--runs", nargs="+", metavar="ID", help="default: every run (seeds of packed runs come along)")
    pack.add_argument("--parts", nargs="+", choices=PARTS, help="default: all four parts")
    pack.add_argument("--topk-max", default=10000, type=_topk_arg, help="K packed per part: an integer or a fraction")
    pack.add_argument("--merge", nargs="+", metavar="BUNDLE", help="merge these bundles instead of packing ROOT")
    pack.add_argument("-o", "--output", required=True, type=Path)
    pack.add_argument("--force", action="store_true", help="overwrite an existing output file")
    pack.set_defaults(handler=cmd_pack)
    render = sub.add_parser("render", parents=[common], help="draw one view to a file (as the app does; --preset from it)")
    render.add_argument("root", nargs="?")
    render.add_argument("--view", choices=VIEW_NAMES)
    render.add_argument("--runs", nargs="+", metavar="ID", help="default: the preset's selection/run, else the app's")
    render.add_argument("--allow-missing", action="store_true",
                        help="draw the other runs when some are not there or cannot be read (the app's behaviour)")
    render.add_argument("--preset", type=Path, help="a preset saved in the app (labels, groups, colours, options)")
    render.add_argument("--format", choices=("png", "pdf", "svg", "html"), help="default: from -o's suffix, else png")
    render.add_argument("--dpi", type=int, help="PNG resolution (default: the preset's, else 200)")
    render.add_argument("-o", "--output", type=Path)
    _profile_arguments(render)
    render.add_argument("--profiles", action="store_true", help="list the venue profiles and exit")
    render.set_defaults(handler=cmd_render)
    render_all = sub.add_parser("render-all", parents=[common],
                                help="every view of the selection as PDF and PNG, CSVs, the preset and figures.tex, zipped")
    render_all.add_argument("root")
    render_all.add_argument("--preset", type=Path, help="a preset saved in the app (selection, labels, options)")
    render_all.add_argument("--dpi", type=int, help="PNG resolution (default: the preset's, else 200)")
    _profile_arguments(render_all)
    render_all.add_argument("-o", "--output", required=True, type=Path)
    render_all.add_argument("--force", action="store_true", help="overwrite an existing output file")
    render_all.set_defaults(handler=cmd_render_all)
    code = sub.add_parser("code", parents=[common], help="print a script that draws one view with gradiend 0.2.3 itself "
                                                           "(the app's \"Copy as code\")")
    code.add_argument("root")
    code.add_argument("--view", required=True, choices=VIEW_NAMES)
    code.add_argument("--runs", nargs="+", metavar="ID", help="default: the preset's selection/run, else the app's")
    code.add_argument("--preset", type=Path, help="a preset saved in the app (labels, groups, colours, options)")
    code.add_argument("--output", metavar="FILE", help="the script saves the figure to FILE (gradiend's own output "
                                                       "parameter) instead of showing it")
    code.add_argument("--allow-missing", action="store_true", help="write the call for the runs that can be read")
    code.set_defaults(handler=cmd_code)
    parser.set_defaults(debug=False)
    return parser


def _topk_arg(text: str) -> int | float:
    try:
        return parse_topk(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _ratio_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}")
    return value


def _catalog(args):
    """Discover runs under ROOT: a folder, or a zip of run folders (e.g. a bundle), unpacked safely to a temp folder.

    Sets `args.opened_root`, the folder messages are made relative to."""
    from gradiend_st.io.discover import discover

    path = Path(args.root)
    if path.is_file() and path.suffix.lower() == ".zip":
        from gradiend_st.io.uploads import unpack_zip

        temp = tempfile.TemporaryDirectory(prefix="gradiend-st-")
        _TEMP_FOLDERS.append(temp)  # removed when the command ends (atexit in TemporaryDirectory's finalizer)
        path = unpack_zip(path, Path(temp.name) / "root", name=path.name)
    args.opened_root = path
    return discover(path)


def cmd_runs(args) -> int:
    catalog = _catalog(args)
    if args.diff:
        return _runs_diff(catalog, args)
    entries = [
        {
            "id": run.id,
            "kind": run.kind,
            "format": run.format,
            "input_dim": run.config.input_dim,
            "latent_dim": run.config.latent_dim,
            "pruned": run.config.pruned,
            "seeds": run.seeds,
            "classes": list(run.classes),
            "bundle": (run.bundle or {}).get("parts") if run.bundle is not None else None,
        }
        for run in catalog.runs.values()
    ]
    errors = [{"path": e.path, "error": e.error} for e in catalog.errors]
    if args.json:
        _print_json({"root": str(args.root), "runs": entries, "errors": errors})
        return 0
    for entry in entries:
        pruned = " pruned" if entry["pruned"] else ""
        classes = "/".join(entry["classes"]) or "?"
        print(f"{entry['id']:<40} {entry['kind']:<10} {entry['format'] or 'no weights':<11} dim {entry['input_dim']:>11,}{pruned}  {classes}")
    for error in errors:
        print(f"! {error['path']}: {error['error']}")
    return 0


def _runs_diff(catalog, args) -> int:
    """`runs --diff`: {"keys": [...], "runs": [{"id", "values": {key: value as stored, absent -> null}, "metrics"}],
    "errors": [...]}; as text, one row per run with the differing values."""
    from gradiend_st.analysis.run_diff import compact_texts, listed_runs, run_diff

    diff = run_diff(catalog, listed_runs(catalog, seeds=args.seeds), decoder=True)
    payload = diff.to_json()
    payload["errors"] += [{"path": e.path, "error": e.error} for e in catalog.errors]  # unreadable run folders
    if args.json:
        _print_json(payload)
        return 0
    columns = [dict(zip(diff.runs, compact_texts(k, [diff.values(r)[k] for r in diff.runs]), strict=True))
               for k in diff.keys]
    widths = [max(len(k), *(len(c[r]) for r in diff.runs)) for k, c in zip(diff.keys, columns, strict=True)]
    width = max((len(r) for r in diff.runs), default=3)
    print("  ".join([f"{'run':<{width}}", *(f"{k:<{w}}" for k, w in zip(diff.keys, widths, strict=True))]).rstrip())
    for rid in diff.runs:
        print("  ".join([f"{rid:<{width}}", *(f"{c[rid]:<{w}}" for c, w in zip(columns, widths, strict=True))]).rstrip())
    for item in payload["errors"]:
        print(f"! {item['path']}: {item['error']}")
    return 0


def _comparison(args, default_kind: str = "run"):
    from gradiend_st.analysis.comparison import compare_topk

    catalog = _catalog(args)
    ids = args.runs or catalog.ids(default_kind)
    missing = [rid for rid in ids if rid not in catalog.runs]
    if missing:
        raise CliError(f"no run '{missing[0]}' under {args.root} (see: gradiend-st runs {args.root})")
    if not ids:
        raise CliError(f"no runs found under {args.root}")
    return compare_topk(catalog, ids, args.part, args.topk)


def cmd_topk(args) -> int:
    result = _comparison(args)
    counts = result.counts.tolist()
    if args.json:
        _print_json({
            "part": result.part,
            "topk": result.topk,
            "runs": result.runs,
            "k": {rid: result.sets[rid].k for rid in result.runs},
            "indices": {rid: result.sets[rid].indices.tolist() for rid in result.runs},
            "intersection_counts": counts,
        })
        return 0
    width = max(len(r) for r in result.runs)
    print(f"top-{result.topk} by {result.part}; intersection counts:")
    for rid, row in zip(result.runs, counts, strict=True):
        print(f"{rid:<{width}}  " + " ".join(f"{c:>7}" for c in row))
    return 0


def cmd_venn(args) -> int:
    if len(set(args.runs)) < 2:
        raise CliError("venn needs at least 2 different runs (--runs A B ...)")
    result = _comparison(args)
    regions = result.regions()
    if args.json:
        _print_json({"part": result.part, "topk": result.topk, "runs": result.runs, "regions": regions})
        return 0
    for region in regions:
        print(f"{' & '.join(region['members'])}: {region['count']}")
    return 0


def cmd_where(args) -> int:
    """Counts per group; a run that cannot be mapped is one line on stderr (and in "errors"), the others are
    counted. Exit status 1 only when no run could be mapped."""
    from gradiend_st.analysis.weightmap_runs import group_counts, map_selection

    catalog = _catalog(args)
    ids = args.runs or catalog.ids("run")
    errors = {rid: _not_found(catalog, args, rid) for rid in ids if rid not in catalog.runs}
    maps = map_selection(catalog, [rid for rid in ids if rid in catalog.runs], args.part, args.topk)
    errors.update({rid: catalog.error_text(exc) for rid, exc in maps.left_out.items()})
    for rid, line in errors.items():
        print(f"gradiend-st: left out {rid}: {line}", file=sys.stderr)
    if not maps.runs:
        raise CliError(f"no run under {args.root} could be mapped" if errors else f"no runs found under {args.root}")
    counts, sizes = group_counts(maps, args.by, args.num_heads)
    if args.json:
        payload = {"part": maps.part, "topk": maps.topk, "by": args.by, "runs": maps.runs, "counts": counts,
                   "sizes": sizes}
        _print_json({**payload, "errors": errors} if errors else payload)
        return 0
    width = max(len(name) for name in sizes)
    print(f"top-{maps.topk} by {maps.part}, grouped by {args.by}: count (share of k)")
    print(f"{'':<{width}}  " + "  ".join(f"{rid:>16}" for rid in maps.runs))
    for name in sizes:
        cells = [(counts[rid].get(name, 0), maps.maps[rid].k) for rid in maps.runs]
        print(f"{name:<{width}}  " + "  ".join(f"{f'{c:,} ({100 * c / k:.1f}%)':>16}" for c, k in cells))
    return 0


def _not_found(catalog, args, rid: str) -> str:
    """Why a named run is not in the catalog: the discovery error of a file inside it, else "no such run"."""
    inside = [str(e) for e in catalog.errors if e.path.startswith(f"{rid}/")]
    return inside[0] if inside else f"no run '{rid}' under {args.root} (see: gradiend-st runs {args.root})"


def cmd_decoder(args) -> int:
    """Each run's selection per metric; a grid that cannot be used is one line under "errors" (and on stderr without
    --json), the other runs are reported. Exit status 1 only when no run could be reported."""
    from gradiend_st.analysis.decoder_runs import decoder_report

    catalog = _catalog(args)
    ids = args.runs or [rid for rid in catalog.ids("run") if catalog.runs[rid].decoder_grid_path.is_file()]
    errors = {rid: _not_found(catalog, args, rid) for rid in ids if rid not in catalog.runs}
    runs, unusable = decoder_report(catalog, [rid for rid in ids if rid in catalog.runs], args.policy, args.ratio)
    errors = {rid: errors.get(rid) or unusable[rid] for rid in ids if rid in errors or rid in unusable}  # in --runs order
    if args.json:
        _print_json({"runs": runs, "errors": [{"id": rid, "error": line} for rid, line in errors.items()]})
        return 0 if runs or not errors else 1
    for rid, line in errors.items():
        print(f"gradiend-st: left out {rid}: {line}", file=sys.stderr)
    if not runs:
        raise CliError(f"no decoder grid under {args.root} could be used" if errors
                       else f"no run under {args.root} has a decoder evaluation (decoder_grid_cache.json)")
    for entry in runs:
        print(f"{entry['id']}  (base LMS {entry['base_lms']:.4f})")
        for metric, s in entry["selections"].items():
            print(f"  {metric:<16} feature factor {s['feature_factor']:+g}  lr {s['learning_rate']:<6g}  "
                  f"value {s['value']:.4f}  LMS {s['lms']:.4f}  ({s['passing_lms_threshold']} of {s['candidates']} "
                  "pass the LMS threshold)")
    return 0


def cmd_curve(args) -> int:
    from gradiend_st.analysis.curves import compute_curves, pair_json

    if len(set(args.runs)) < 2:
        raise CliError("curve needs at least 2 different runs (--runs A B ...)")
    catalog = _catalog(args)
    missing = [rid for rid in args.runs if rid not in catalog.runs]
    if missing:
        raise CliError(f"no run '{missing[0]}' under {args.root} (see: gradiend-st runs {args.root})")
    curves = compute_curves(catalog, args.runs, args.part, args.k, groups={"all": list(args.runs)})
    every = curves.groups["all"].all
    if args.json:
        _print_json({"part": curves.part, "k": curves.grid, "runs": curves.runs,
                     "pairs": [pair_json(p) for p in curves.pairs], "all": every})
        return 0
    print(f"top-k overlap against k by {curves.part}, N = {curves.base_dim:,} base parameters")
    print("k:    " + " ".join(f"{k!s:>9}" for k in curves.grid))
    for pair in curves.pairs:
        print(f"{pair.runs[0]} & {pair.runs[1]}" + (f" (shared class {pair.shared_class})" if pair.shared_class else ""))
        print("shared " + " ".join(f"{v:>9}" for v in pair.shared))
        print("chance " + " ".join(f"{v:>9.3g}" for v in pair.chance))
        print("same   " + " ".join(f"{'-' if v is None else v:>9}" for v in pair.same_sign))
    print("in all " + " ".join(f"{v:>9}" for v in every))
    return 0


def cmd_pack(args) -> int:
    from gradiend_st import bundle

    if args.merge:
        manifest = bundle.merge([Path(p) for p in args.merge], args.output, force=args.force)
    else:
        if not args.root:
            raise CliError("pack needs ROOT (or --merge BUNDLE ...)")
        catalog = _catalog(args)
        ids = args.runs or catalog.ids("run")
        missing = [rid for rid in ids if rid not in catalog.runs]
        if missing:
            raise CliError(f"no run '{missing[0]}' under {args.root} (see: gradiend-st runs {args.root})")
        manifest = bundle.pack(catalog, ids, args.output, parts=args.parts, topk_max=args.topk_max, force=args.force,
                               progress=_progress_line)
    size = args.output.stat().st_size
    print(f"{args.output}: {len(manifest['runs'])} runs, {size / 1e6:.1f} MB")
    return 0


def _profile_arguments(parser) -> None:
    parser.add_argument("--profile", metavar="NAME", help="a venue profile (see --profiles): exactly its width and fonts")
    parser.add_argument("--width", help="figure width, e.g. 85mm or 3.25in (with --profile: that venue's fonts)")
    parser.add_argument("--font", choices=("serif", "sans"), help="font family with --profile/--width (default serif)")


def _profile(args):
    from gradiend_st.figures import profiles

    return profiles.get(args.profile, width=args.width, family=args.font)


def cmd_render(args) -> int:
    from gradiend_st.pipeline import render

    if args.profiles:
        from gradiend_st.figures.profiles import PROFILES

        for profile in PROFILES.values():
            sizes = "/".join(f"{profile.sizes[r]:g}" for r in ("title", "label", "tick", "legend"))
            print(f"{profile.name:<12} {profile.width_in * 25.4:6.1f} mm  {profile.width_in:5.2f} in  "
                  f"fonts {sizes} pt  {profile.title}")
        return 0
    if not args.root or not args.view or not args.output:
        raise CliError("render needs ROOT, --view and -o (or --profiles)")
    fmt = args.format or args.output.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "pdf", "svg", "html"):
        raise CliError(f"cannot tell the format from '{args.output.name}': pass --format png|pdf|svg|html")
    if not args.output.parent.is_dir():
        raise CliError(f"{args.output.parent}: output folder not found")
    preset = _preset(args)
    data, notes = render(_catalog(args), args.view, run_ids=args.runs, preset=preset, fmt=fmt, dpi=args.dpi,
                         allow_missing=args.allow_missing, profile=_profile(args))
    for note in notes:
        print(f"gradiend-st: {note}", file=sys.stderr)
    args.output.write_bytes(data)  # render output may replace an earlier rendering
    print(f"{args.output} ({fmt}, {len(data):,} bytes)")
    return 0


def cmd_render_all(args) -> int:
    from gradiend_st.figure_set import build_figure_set
    from gradiend_st.figures import profiles

    if args.output.exists() and not args.force:
        raise FileExistsError(f"{args.output} exists (pass --force to overwrite)")
    if not args.output.parent.is_dir():
        raise CliError(f"{args.output.parent}: output folder not found")
    preset = _preset(args)
    profile = _profile(args) or profiles.from_spec(preset.profile)
    result = build_figure_set(_catalog(args), preset, profile=profile, dpi=args.dpi)
    args.output.write_bytes(result.zip_bytes)
    for skipped in result.skipped:
        print(f"gradiend-st: skipped {skipped}", file=sys.stderr)
    print(f"{args.output}: {len(result.figures)} figures ({', '.join(result.figures)}), {len(result.zip_bytes):,} bytes")
    return 0


def _preset(args):
    from gradiend_st.presets import Preset, PresetError

    if not args.preset:
        return Preset()
    try:
        return Preset.from_json(args.preset.read_bytes())
    except OSError as exc:
        raise CliError(f"{args.preset}: cannot read the preset ({exc.strerror or exc})") from None
    except PresetError as exc:
        raise CliError(f"{args.preset}: {exc}") from None


def cmd_code(args) -> int:
    from gradiend_st.code import script
    from gradiend_st.pipeline import prepared

    preset = _preset(args)
    catalog = _catalog(args)
    _, view, data, options, notes = prepared(catalog, args.view, preset=preset, run_ids=args.runs,
                                             allow_missing=args.allow_missing)
    for note in notes:
        print(f"gradiend-st: {note}", file=sys.stderr)
    root = str(Path(args.root).resolve()) if Path(args.root).is_dir() else str(args.opened_root)
    sys.stdout.write(script(view, options, data, catalog, root=root, output=args.output, dpi=preset.dpi))
    return 0


def _progress_line(done: int, total: int, run_id: str) -> None:
    if run_id:
        print(f"[{done + 1}/{total}] {run_id}", file=sys.stderr, flush=True)


def _print_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")  # dumps runs the C encoder; dump to a stream iterates in Python


if __name__ == "__main__":
    sys.exit(main())
