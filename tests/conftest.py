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
