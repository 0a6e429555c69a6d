"""The browser pages: the packing-station page (`/station`) and the hold board (`/holds`).

Plain HTML, CSS and JavaScript served from `static/`, with no build step and
nothing fetched from outside the guard (warehouse machines often have no
internet). The pages talk to the `/v1` API with a key the user enters once.
"""
