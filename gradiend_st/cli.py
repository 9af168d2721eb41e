"""`gradiend-st`: the studio's engine from the command line (stable interface for scripts and benchmarks).

Exit status: 0 ok, 1 a run or file could not be used (one line on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from gradiend_st import __version__
from gradiend_st.analysis.topk import PARTS, parse_topk
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
    render.add_argument("root")
    render.add_argument("--view", required=True, choices=VIEW_NAMES)
    render.add_argument("--runs", nargs="+", metavar="ID", help="default: the preset's selection/run, else the app's")
    render.add_argument("--allow-missing", action="store_true",
                        help="draw the other runs when some are not there or cannot be read (the app's behaviour)")
    render.add_argument("--preset", type=Path, help="a preset saved in the app (labels, groups, colours, options)")
    render.add_argument("--format", choices=("png", "pdf", "svg", "html"), help="default: from -o's suffix, else png")
    render.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200)")
    render.add_argument("-o", "--output", required=True, type=Path)
    render.set_defaults(handler=cmd_render)
    parser.set_defaults(debug=False)
    return parser


def _topk_arg(text: str) -> int | float:
    try:
        return parse_topk(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


def cmd_render(args) -> int:
    from gradiend_st.pipeline import render
    from gradiend_st.presets import Preset, PresetError

    fmt = args.format or args.output.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "pdf", "svg", "html"):
        raise CliError(f"cannot tell the format from '{args.output.name}': pass --format png|pdf|svg|html")
    if not args.output.parent.is_dir():
        raise CliError(f"{args.output.parent}: output folder not found")
    preset = Preset()
    if args.preset:
        try:
            preset = Preset.from_json(args.preset.read_bytes())
        except OSError as exc:
            raise CliError(f"{args.preset}: cannot read the preset ({exc.strerror or exc})") from None
        except PresetError as exc:
            raise CliError(f"{args.preset}: {exc}") from None
    data, notes = render(_catalog(args), args.view, run_ids=args.runs, preset=preset, fmt=fmt, dpi=args.dpi,
                         allow_missing=args.allow_missing)
    for note in notes:
        print(f"gradiend-st: {note}", file=sys.stderr)
    args.output.write_bytes(data)  # render output may replace an earlier rendering
    print(f"{args.output} ({fmt}, {len(data):,} bytes)")
    return 0


def _progress_line(done: int, total: int, run_id: str) -> None:
    if run_id:
        print(f"[{done + 1}/{total}] {run_id}", file=sys.stderr, flush=True)


def _print_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")  # dumps runs the C encoder; dump to a stream iterates in Python


if __name__ == "__main__":
    sys.exit(main())
