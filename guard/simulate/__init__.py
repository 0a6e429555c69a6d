"""`guard simulate`: one Double 11, played by the warehouses sellers run and through the guard.

params    every knob of the day, its default and the default's source
world     each order's fixed draws, from the seed (pure)
platform  the platform's side for one warehouse: closures that depend on its notices, and what
          reaches the seller, late, twice, out of order (pure)
floor     the warehouse floor every warehouse shares (waves, packers, shelf, bags, pick-ups), and
          the baselines' policies: ship when packed, a typical ERP (pure)
replay    the guarded warehouse: the floor's decisions come from a guard over HTTP
clock     simulated time: RFC 3339 for events; the embedded guard's shared clock
embedded  a throwaway guard in a subprocess, on a temporary SQLite file, on the simulated clock
server    that subprocess's entry point
summary   each warehouse's losses in money, deadlines, the guard's cost (summary.json)
charts    the report's charts (matplotlib, an optional extra)
report    report.html
run       all of the above, for the CLI (`cli.py`), with sweeps

Kept free of imports: `guard.simulate.server` must swap the clock before the guard loads.
"""
