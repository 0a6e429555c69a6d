"""The guard's benchmark: `python -m bench {ingest,batch,check,release,load,rules,all}`.

Run by hand, never by the test suite. It creates a scratch PostgreSQL database,
starts the real server (`guard serve`) against it, drives it over HTTP the way
an ERP and packing stations do, prints the figures, and drops the database at
the end, on Ctrl-C and on errors too. `docs/benchmarks.md` says what each figure
means and holds the results measured so far.
"""


class BenchError(RuntimeError):
    """The run cannot give a trustworthy figure: the server did not start, or answered off-contract."""
