"""`gradiend_context.json` (FORMAT.md §2.4): source, target and the target class pair."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object


@dataclass(frozen=True)
class GradiendContext:
    source: str | None
    target: str | None
    direction: dict[str, int]  # class -> +1 / -1 / 0

    @property
    def pair(self) -> tuple[str, str] | None:
        """(class encoded +1, class encoded -1), or None when the file does not say."""
        pos = [c for c, d in self.direction.items() if d > 0]
        neg = [c for c, d in self.direction.items() if d < 0]
        return (pos[0], neg[0]) if len(pos) == 1 and len(neg) == 1 else None


def read_context(path: Path) -> GradiendContext:
    data = read_json_object(path, max_bytes=16 * 1024 * 1024)
    direction = data.get("feature_class_encoding_direction") or {}
    if not isinstance(direction, dict) or not all(isinstance(v, (int, float)) for v in direction.values()):
        raise RunReadError(path, "'feature_class_encoding_direction' should map class names to numbers")
    source, target = data.get("source"), data.get("target")
    return GradiendContext(
        source=source if isinstance(source, str) else None,
        target=target if isinstance(target, str) else None,
        direction={str(k): int(v) for k, v in direction.items()},
    )


def pair_from_label_names(names: dict[str, str]) -> tuple[str, str] | None:
    """Fallback pair from training.json's label names ("1.0" -> pair[0], "-1.0" -> pair[1])."""
    pos, neg = names.get("1.0"), names.get("-1.0")
    if pos and neg and {pos, neg} != {"positive", "negative"}:
        return pos, neg
    return None
