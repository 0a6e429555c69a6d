"""Helpers shared by the tests: `from support.api import Guard`, `from support.stack import Api`, ….

Test modules import helpers from here only, never from `conftest.py` or from another
test module (tests/unit/test_suite_layout.py holds them to that). Each helper that
touches a shared service (PostgreSQL, Redis, ports) takes a part of its own per
pytest-xdist worker, so the suite can run in parallel: see `support.services`.
"""
