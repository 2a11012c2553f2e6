"""Run the benchmark suite from a source checkout: ``python bench/run.py --quick``.

The same as ``w2v bench ...`` (the suite lives in the package, :mod:`w2v.bench.suite`);
results go to bench/RESULTS.md and bench/plots/ unless told otherwise.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)   # the checkout's w2v (built in place), not an installed one

from w2v.bench.suite import main  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not any(a == "--results" or a.startswith("--results=") for a in argv):
        argv += ["--results", os.path.join(ROOT, "bench", "RESULTS.md")]
    raise SystemExit(main(argv, prog="python bench/run.py"))
