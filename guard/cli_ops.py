"""Operator commands (holds, order, export, purge, config check). Filled in by the production-shape work."""
import click


def register(main: click.Group) -> None:
    """Add the operator commands to `guard`."""
