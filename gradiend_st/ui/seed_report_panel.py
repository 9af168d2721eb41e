"""Under the overlap curves: the seed report of each selected multi-seed run (FORMAT.md §1.4, §6.3) beside the
studio's own pairwise seed overlaps."""

from __future__ import annotations

import pandas as pd
import streamlit as st

NUMBERS = {"best correlation": "%.6f", "selection score": "%.6f", "eval correlation": "%.6f", "fraction": "%.3f",
           "jaccard": "%.3f", "× chance": "%.1f", "same sign": "%.3f", "overlap_fraction": "%.3f"}


def render_seed_reports(data, *, key: str) -> None:
    """One block per multi-seed run: its seeds (gradiend's report), gradiend's recorded stability, the studio's."""
    for rid, tables in data.seed_reports.items():
        with st.container(border=True, key=f"{key}.seeds.{rid}"):
            st.markdown(f"**Seed report: {rid}**")
            st.caption(tables.summary)
            st.markdown("Seeds (seeds/seed_report.json, seed checkpoints)")
            _table(tables.seeds, f"{key}.seeds.{rid}.seeds")
            if tables.stability is not None:
                st.markdown(f"Top-k stability recorded by gradiend ({tables.stability.get('part')}, "
                            f"top-{tables.stability.get('topk')})")
                _table([tables.stability], f"{key}.seeds.{rid}.recorded")
                if tables.stability_pairs:
                    _table(tables.stability_pairs, f"{key}.seeds.{rid}.recorded_pairs")
            else:
                st.caption(f"No top-k stability recorded: {tables.note}.")
            st.markdown(f"Pairwise seed overlaps in the studio ({data.part}, largest k)")
            if tables.studio_pairs:
                _table(tables.studio_pairs, f"{key}.seeds.{rid}.studio")
            else:
                st.caption("Fewer than two seed checkpoints with weights: no seed pairs to compare.")


def _table(rows: list[dict], key: str) -> None:
    frame = pd.DataFrame(rows)
    config = {name: st.column_config.NumberColumn(format=fmt) for name, fmt in NUMBERS.items() if name in frame}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, key=key)
