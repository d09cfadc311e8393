"""Read the field a 422 names, whether pydantic (["body", "lines", 0, "qty"]) or a rule ("lines[0].qty")."""

from typing import Any


def field_path(loc: list[Any]) -> str:
    """The dotted path of a 422's `loc` without its leading "body"/"query"/"path"."""
    out = ""
    for part in loc[1:]:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
