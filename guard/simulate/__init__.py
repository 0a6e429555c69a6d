"""`guard simulate`: a Double 11 in ten minutes, replayed against a running guard.

params   the day's distributions (a dataclass, defaults from the seed notice)
world    the day drawn from a seed: each order's truth, the facts feed, the packing line (pure)
clock    simulated time: RFC 3339 for events; the embedded guard's shared clock
embedded a throwaway guard in a subprocess, on a temporary SQLite file, on the simulated clock
server   that subprocess's entry point
replay   the day, minute by minute, over HTTP: events, stations, hold shelf, dock, supervisor
summary  losses with and without the guard, counts (summary.json)
report   report.html with inline SVG charts
run      all of the above, for the CLI (`cli.py`)

Kept free of imports: `guard.simulate.server` must swap the clock before the guard loads.
"""
