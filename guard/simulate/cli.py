"""The `guard simulate` command (filled in by the simulation work)."""
import click


def register(main: click.Group) -> None:
    """Add `guard simulate` to `guard`."""
