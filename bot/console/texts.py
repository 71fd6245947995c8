"""The console's Chinese wording, read once from texts.yml."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

TEXTS_PATH = Path(__file__).resolve().parent / "texts.yml"


@functools.lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    with TEXTS_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def label(group: str, key: str | None) -> str:
    """The wording of ``key`` in ``group`` (e.g. kinds/out_of_scope), the key itself when it has none."""
    if key is None:
        return ""
    return str(texts().get(group, {}).get(key, key))
