"""Keyword arguments -> the fields of a bound C++ options struct."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def field_names(options: Any) -> tuple[str, ...]:
    """The settable fields of an options object (everything public but its methods)."""
    return tuple(
        name
        for name in dir(type(options))
        if not name.startswith("_") and name not in ("validate", "schema")
    )


def fill(options: T, what: str, values: dict[str, Any]) -> T:
    """Sets ``options.<key> = value`` for every item and returns ``options``.

    An unknown key raises TypeError naming it and listing the allowed ones; a value of the wrong
    type raises TypeError naming the field. A dict for a field that is itself an options struct
    (e.g. FixedPointOptions.newton) fills that struct. Values are checked (ValueError) by the
    library when the options are used.
    """
    allowed = field_names(options)
    for key, value in values.items():
        if key not in allowed:
            raise TypeError(f"unknown {what} option '{key}'; allowed: {', '.join(sorted(allowed))}")
        current = getattr(options, key)
        if isinstance(value, dict) and not isinstance(current, (dict, str, int, float, bool)):
            value = fill(current, f"{what}.{key}", value)
        try:
            setattr(options, key, value)
        except TypeError as error:
            raise TypeError(
                f"{what} option '{key}' = {value!r} ({type(value).__name__}) is not a valid "
                f"{type(current).__name__}"
            ) from error
    return options
