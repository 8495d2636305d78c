"""Numbers as the results file holds them: medians, ratios, megabytes."""

import statistics


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def medians(dicts, *, sort_keys=True):
    """{key: median} over dicts (a key missing from some counts only where present); keys sorted,
    or in the order they first appear."""
    keys = list(dict.fromkeys(k for d in dicts for k in d))
    if sort_keys:
        keys.sort()
    return {k: median([d.get(k) for d in dicts]) for k in keys}


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def mb(n):
    return round(n / 1e6, 1)
