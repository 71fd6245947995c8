"""Validation of the typed facts a user gives, against ``data/facts.yml``."""

from __future__ import annotations

import math
from collections.abc import Mapping

from policy_kb.models import FactSpec

_TRUE_WORDS = {"true", "yes", "y", "1", "是", "有", "对"}
_FALSE_WORDS = {"false", "no", "n", "0", "否", "不是", "没有", "无"}


class FactError(ValueError):
    """A fact has an unknown name, the wrong type or an impossible value."""


def validate_fact(spec: FactSpec, value: object) -> object:
    """Return ``value`` if it is valid for ``spec``; raise FactError with a clear message otherwise."""
    name = spec.name
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise FactError(f"{name} must be true or false, got {value!r}")
        return value
    if spec.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise FactError(f"{name} must be a whole number, got {value!r}")
        _check_range(spec, value)
        return value
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FactError(f"{name} must be a number, got {value!r}")
        _check_range(spec, value)
        return float(value)
    if spec.type == "enum":
        if value not in spec.values:
            allowed = ", ".join(spec.values)
            raise FactError(f"{name} must be one of {allowed}; got {value!r}")
        return value
    if spec.type == "text":
        if not isinstance(value, str) or not value.strip():
            raise FactError(f"{name} must be non-empty text, got {value!r}")
        return value.strip()
    raise FactError(f"{name} has an unknown type {spec.type!r} in facts.yml")


def _check_range(spec: FactSpec, value: float) -> None:
    if spec.minimum is not None and value < spec.minimum:
        raise FactError(f"{spec.name} cannot be below {spec.minimum:g}, got {value!r}")
    if spec.maximum is not None and value > spec.maximum:
        raise FactError(f"{spec.name} cannot be above {spec.maximum:g}, got {value!r}")


def validate_facts(specs: Mapping[str, FactSpec], facts: Mapping[str, object]) -> dict[str, object]:
    """Validate every fact; ``None`` means unknown and is dropped."""
    valid: dict[str, object] = {}
    for name, value in facts.items():
        if name not in specs:
            known = ", ".join(sorted(specs))
            raise FactError(f"unknown fact {name!r}; known facts: {known}")
        if value is None:
            continue
        valid[name] = validate_fact(specs[name], value)
    return valid


def parse_fact_value(spec: FactSpec, raw: str) -> object:
    """Turn command-line text (``in_gansu=yes``, ``years_since_graduation=5``) into a valid typed value."""
    text = raw.strip()
    if spec.type == "bool":
        lowered = text.lower()
        if lowered in _TRUE_WORDS:
            return True
        if lowered in _FALSE_WORDS:
            return False
        raise FactError(f"{spec.name} must be yes or no, got {raw!r}")
    if spec.type == "int":
        try:
            number: object = int(text)
        except ValueError as error:
            raise FactError(f"{spec.name} must be a whole number, got {raw!r}") from error
        return validate_fact(spec, number)
    if spec.type == "number":
        try:
            number = float(text.rstrip("%"))
        except ValueError as error:
            raise FactError(f"{spec.name} must be a number, got {raw!r}") from error
        return validate_fact(spec, number)
    return validate_fact(spec, text)
