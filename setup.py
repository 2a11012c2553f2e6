"""Build w2v's extension modules.

Every ``w2v/_*.pyx`` becomes one extension, compiled together with all of
``csrc/*.c`` (plain C kernels, no Python.h).  Cython directives live here and
nowhere else.  OpenMP is detected by compiling a probe, never assumed.

Environment:
  W2V_DEBUG=1      bounds/wraparound checks on, -O0 -g (for debugging kernels)
  W2V_NO_OPENMP=1  build without OpenMP even if the compiler supports it
  W2V_CFLAGS=...   extra compile flags (e.g. "-march=native" for a local build)
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("W2V_DEBUG") == "1"

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}


def compiler_supports_openmp():
    """Compile and link a tiny OpenMP program with the compiler Python was built with."""
    if os.environ.get("W2V_NO_OPENMP") == "1":
        return False
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    if shutil.which(cc[0]) is None:
        return False
    src = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        c_file = os.path.join(tmp, "probe.c")
        with open(c_file, "w") as f:
            f.write(src)
        cmd = cc + ["-fopenmp", c_file, "-o", os.path.join(tmp, "probe")]
        try:
            return subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False


OPENMP = compiler_supports_openmp()
if not OPENMP:
    # Training on a corpus file runs its epochs on an OpenMP team
    # (csrc/epoch.c); without OpenMP that path trains on one thread.
    print("WARNING: building w2v without OpenMP (the compiler has none, or W2V_NO_OPENMP=1): "
          "training on a corpus file will run on ONE thread whatever `workers` says; "
          "iterable corpora and the vocabulary scan still use all worker threads",
          file=sys.stderr)

cflags = ["-O0", "-g"] if DEBUG else ["-O3"]
cflags += ["-Wno-unused-function"]
cflags += os.environ.get("W2V_CFLAGS", "").split()
ldflags = []
if OPENMP:
    cflags.append("-fopenmp")
    ldflags.append("-fopenmp")

c_sources = sorted(glob("csrc/*.c"))
c_headers = sorted(glob("csrc/*.h"))  # setuptools does not track headers itself
macros = [
    ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
    # recorded for w2v.show_config()
    ("W2V_COMPILE_FLAGS", '"%s"' % " ".join(cflags).replace('"', "")),
]

extensions = [
    Extension(
        "w2v." + os.path.splitext(os.path.basename(pyx))[0],
        sources=[pyx] + c_sources,
        depends=c_headers,
        include_dirs=["csrc", np.get_include()],
        define_macros=macros,
        extra_compile_args=cflags,
        extra_link_args=ldflags,
    )
    for pyx in sorted(glob("w2v/_*.pyx"))
]

setup(ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES,
                            compile_time_env={}, quiet=True))
