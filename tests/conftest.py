"""Every test runs in its own temporary directory, and child processes import
the same w2v as the tests: the source tree when it is built in place, the
installed package otherwise (a checkout without compiled extensions in the
working directory must never shadow it)."""
import os
from pathlib import Path

import pytest

import w2v

_W2V_ROOT = str(Path(w2v.__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", _W2V_ROOT + (os.pathsep + path if path else ""))


def pytest_terminal_summary(terminalreporter):
    """Say which instruction-set copies of the kernels were checked against the
    reference: a CPU without AVX-512 skips those tests, and that must show."""
    import sys
    kernels = sys.modules.get("test_kernels")
    if kernels is None or not (kernels.SIMD_RUN or kernels.SIMD_SKIPPED):
        return
    order = kernels.SIMD_PATHS
    ran = [p for p in order if p in kernels.SIMD_RUN]
    skipped = [p for p in order if p in kernels.SIMD_SKIPPED and p not in kernels.SIMD_RUN]
    line = f"SIMD kernel paths checked against the reference: {', '.join(ran) or 'none'}"
    if skipped:
        line += f"; not run (this CPU lacks them): {', '.join(skipped)}"
    terminalreporter.write_line(line)
