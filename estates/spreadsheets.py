"""One rule for every Excel cell written from stored text (docs/trust.md, item 9).

openpyxl turns a string that starts with ``=`` into a formula and refuses control characters
(a 500 for the whole export); a spreadsheet re-saved as CSV also evaluates ``+``, ``-``, ``@``
and a leading tab or carriage return. So text is cleaned of the characters Excel cannot hold and
anything that starts like a formula is written with a leading apostrophe (as text).
"""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value
