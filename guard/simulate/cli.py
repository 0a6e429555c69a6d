"""`guard simulate`: replay a simulated Double 11 against the guard; write the report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from guard.simulate.params import Parameters
    from guard.simulate.run import Result, Sweep, Target


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
    @click.option(
        "--sweep",
        "sweep_text",
        default=None,
        metavar="NAME=V1,V2,...",
        help="play the day once per value of one parameter; the report adds a table and a chart",
    )
    @click.option(
        "--parameters", "list_parameters", is_flag=True, help="list every parameter, its default and its source"
    )
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
        sweep_text: str | None,
        list_parameters: bool,
        quiet: bool,
    ) -> None:
        """Play a simulated Double 11 through typical warehouses and through the guard; report
        what each lost, in money, and what the guard's way of working cost.

        Tens of thousands of orders on the midnight-spike curve, card payments unconfirmed for
        hours, risk reviews and closures, cancellations, late tracking numbers, failing freight
        deductions and lagging platform data. The same day is played by a naive warehouse, by
        a typical ERP (recording the notice on tracking, at print, at pick-up or in a daily
        batch) and by the same ERP working through the guard over its API.

        Without --url or --key, a throwaway guard runs on a temporary SQLite file with
        the simulation's clock, and nothing else needs to be running.
        """
        from guard.simulate.charts import MatplotlibMissing, require_matplotlib
        from guard.simulate.replay import ReplayError
        from guard.simulate.run import simulate as run

        if list_parameters:
            _list_parameters()
            return
        try:
            require_matplotlib()  # before a replay of many minutes, not after it
        except MatplotlibMissing as exc:
            raise click.ClickException(str(exc)) from None
        target = _target(url, key, embedded)
        params = _parameters(orders, seed, settings)
        sweep = _sweep(sweep_text, params)

        def progress(line: str) -> None:
            if not quiet:
                click.echo(line, err=True)

        try:
            result = run(params, out, target, threads=threads, sweep=sweep, progress=progress)
        except ReplayError as exc:
            raise click.ClickException(str(exc)) from None
        _tell(result)


def _list_parameters() -> None:
    from guard.simulate.params import describe

    for d in describe():
        click.echo(f"{d.name} = {d.default}\n    {d.text}")
        if d.source:
            click.echo(f"    source: {d.source}")


def _target(url: str | None, key: str | None, embedded: bool) -> Target:
    """The guard to replay against: a running one (--url/--key), else an embedded one."""
    from guard.simulate.run import DEFAULT_URL, Target

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
    return Target(url, key)


def _parameters(orders: int | None, seed: int | None, settings: tuple[str, ...]) -> Parameters:
    from guard.simulate.params import Parameters

    overrides = _overrides(settings)
    if orders is not None:
        overrides["orders"] = str(orders)
    if seed is not None:
        overrides["seed"] = str(seed)
    try:
        return Parameters().with_overrides(overrides)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None


def _sweep(sweep_text: str | None, params: Parameters) -> Sweep | None:
    """`--sweep NAME=V1,V2,...`, every value checked before the first run."""
    from guard.simulate.params import sweepable
    from guard.simulate.run import Sweep

    if sweep_text is None:
        return None
    name, sep, values = sweep_text.partition("=")
    name = name.strip()
    if not sep or not sweepable(name) or not values.strip():
        raise click.BadParameter(
            f"{sweep_text!r}: use NAME=V1,V2,... with a parameter that takes one value (see --parameters)",
            param_hint="--sweep",
        )
    sweep = Sweep(name, tuple(value.strip() for value in values.split(",")))
    for value in sweep.values:
        try:
            params.with_overrides({name: value})
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--sweep") from None
    return sweep


def _tell(result: Result) -> None:
    s = result.summary
    erp, guard, head, currency = s["baselines"]["erp_awaiting_shipment"], s["guard"], s["headline"], s["currency"]
    click.echo(
        f"{s['orders']:,} orders, seed {s['seed']}: a typical ERP (notice {erp['notice_timing']}) lost "
        f"{erp['lost_parcels']:,} parcels ({erp['lost_value']:,.0f} {currency}); through the guard "
        f"{guard['lost_parcels']:,} ({guard['lost_value']:,.0f} {currency}), at a cost of "
        f"{guard['cost_value']:,.0f} {currency}; saved {head['saved_value']:,.0f} {currency}"
    )
    click.echo(
        f"labels {s['labels']:,}, holds {s['holds']:,}, released {s['releases']:,}, "
        f"blocked {s['blocks']:,}, still on the shelf {s['still_on_shelf']:,}, "
        f"overdue escalations {s['overdue_escalations']:,} ({s['run']['total_seconds']:.0f} s)"
    )
    click.echo(f"report: {result.report}")
    click.echo(f"summary: {result.summary_path}")
