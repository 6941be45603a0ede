"""Chart specs: one small dict per chart that both the ECharts drawing and the table view read.

A spec is plain JSON (it travels through ``json_script``): ``kind`` (bar, hbar, line, stacked,
heatmap), ``categories`` (x axis), ``series`` [{name, data}], optional ``links`` (one URL per
category, so clicking a bar opens the list behind it), ``unit`` and ``targets`` (a dashed line).
"""

from __future__ import annotations

from decimal import Decimal


def _num(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def chart(*, kind: str, categories, series, links=None, unit: str = "", target=None, y_names=None) -> dict:
    spec = {
        "kind": kind,
        "categories": [str(c) for c in categories],
        "series": [{"name": str(s["name"]), "data": [_num(v) for v in s["data"]]} for s in series],
        "unit": unit,
    }
    if links:
        spec["links"] = list(links)
    if target is not None:
        spec["target"] = _num(target)
    if y_names is not None:
        spec["y"] = [str(y) for y in y_names]
    return spec


def table_rows(spec: dict) -> list[dict]:
    """The table view of a spec: one row per category with each series' value and the link."""
    links = spec.get("links") or [None] * len(spec["categories"])
    if spec["kind"] == "heatmap":
        # series = one per y (project); data aligned with categories
        return [{"label": s["name"], "values": s["data"], "link": None} for s in spec["series"]]
    return [
        {"label": cat, "values": [s["data"][i] for s in spec["series"]], "link": links[i]}
        for i, cat in enumerate(spec["categories"])
    ]


def block(*, id: str, title, spec: dict, headers: list, note=None) -> dict:
    """A chart with its accessible table: what the ``dashboards/_chart.html`` component renders."""
    return {
        "id": id,
        "data_id": f"{id}-data",
        "empty": not any(v for series in spec["series"] for v in series["data"]),  # nothing but zeros: say so
        "title": title,
        "spec": spec,
        "headers": headers,
        "rows": table_rows(spec),
        "note": note,
    }
