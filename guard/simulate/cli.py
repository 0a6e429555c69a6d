"""`guard simulate`: replay a simulated Double 11 against the guard; write the report."""

from __future__ import annotations

import os
from pathlib import Path

import click


def _overrides(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: use NAME=VALUE", param_hint="--set")
        pairs[name.strip()] = text.strip()
    return pairs


def register(main: click.Group) -> None:
    """Add `guard simulate` to `guard`."""

    @main.command()
    @click.option(
        "--orders", type=click.IntRange(1, 1_000_000), default=None, help="orders over the day  [default: 20000]"
    )
    @click.option("--seed", type=int, default=None, help="picks the day; same seed, same day  [default: 1111]")
    @click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("simulation"),
        show_default=True,
        help="directory for report.html and summary.json",
    )
    @click.option(
        "--url",
        default=None,
        help="replay against this running guard instead of an embedded one  [default with --key: "
        "http://127.0.0.1:8000]",
    )
    @click.option(
        "--key",
        default=None,
        help="API key for the running guard (or GUARD_SIM_KEY); scopes events, check, labels, holds, supervise",
    )
    @click.option(
        "--embedded",
        is_flag=True,
        help="replay against a throwaway guard on a temporary SQLite file (the default without --url/--key)",
    )
    @click.option(
        "--threads",
        type=click.IntRange(1, 64),
        default=4,
        show_default=True,
        help="packing stations scanning at once (HTTP concurrency)",
    )
    @click.option(
        "--set",
        "settings",
        multiple=True,
        metavar="NAME=VALUE",
        help="change a parameter of the day (repeat); see --parameters",
    )
    @click.option("--parameters", "list_parameters", is_flag=True, help="list the parameters and their defaults")
    @click.option("--quiet", is_flag=True, help="no progress lines")
    def simulate(
        orders: int | None,
        seed: int | None,
        out: Path,
        url: str | None,
        key: str | None,
        embedded: bool,
        threads: int,
        settings: tuple[str, ...],
        list_parameters: bool,
        quiet: bool,
    ) -> None:
        """Replay a simulated Double 11 against the guard and report what it saved.

        Tens of thousands of orders on the midnight-spike curve, payments that stay
        "processing" for hours, risk reviews and closures, cancellations, late tracking
        numbers, failing freight deductions and lagging platform data — compressed into
        minutes. Packers scan parcels off the line, holds wait on the shelf, released ones
        go back. The report compares the parcels a naive warehouse would have lost with
        those lost through the guard.

        Without --url or --key, a throwaway guard runs on a temporary SQLite file with
        the simulation's clock, and nothing else needs to be running.
        """
        from guard.simulate.params import Parameters, describe
        from guard.simulate.replay import ReplayError
        from guard.simulate.run import DEFAULT_URL, Target
        from guard.simulate.run import simulate as run

        if list_parameters:
            for name, default, doc in describe():
                click.echo(f"{name} = {default}\n    {doc}" if doc else f"{name} = {default}")
            return
        if embedded and (url or key):
            raise click.UsageError("--embedded makes its own guard and key; leave out --url and --key")
        if url or key:  # a running guard
            url = url or DEFAULT_URL
            key = key or os.environ.get("GUARD_SIM_KEY")
            if not key:
                raise click.UsageError(
                    "--url needs --key (or GUARD_SIM_KEY) with the scopes events, check, labels, holds and supervise: "
                    "guard apikey create simulate --scope events --scope check --scope labels --scope holds "
                    "--scope supervise"
                )
        overrides = _overrides(settings)
        if orders is not None:
            overrides["orders"] = str(orders)
        if seed is not None:
            overrides["seed"] = str(seed)
        try:
            params = Parameters().with_overrides(overrides)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None

        def progress(line: str) -> None:
            if not quiet:
                click.echo(line, err=True)

        try:
            result = run(params, out, Target(url, key), threads=threads, progress=progress)
        except ReplayError as exc:
            raise click.ClickException(str(exc)) from None
        s = result.summary
        click.echo(
            f"{s['orders']:,} orders, seed {s['seed']}: lost without the guard {s['lost_without_guard']:,}, "
            f"with the guard {s['lost_with_guard']:,}"
        )
        click.echo(
            f"labels {s['labels']:,}, holds {s['holds']:,}, released {s['releases']:,}, "
            f"blocked {s['blocks']:,}, still on the shelf {s['still_on_shelf']:,}, "
            f"overdue escalations {s['overdue_escalations']:,} ({s['run']['wall_seconds']:.0f} s)"
        )
        click.echo(f"report: {result.report}")
        click.echo(f"summary: {result.summary_path}")
