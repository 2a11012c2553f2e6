"""Build w2v's extension modules.

Every ``w2v/_*.pyx`` becomes one extension, compiled together with the
``csrc/*.c`` files it calls (plain C kernels, no Python.h; see C_SOURCES).
All object files of all extensions compile in parallel, one job per CPU.
Cython directives live here and nowhere else.  OpenMP is detected by
compiling a probe, never assumed.

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
from concurrent.futures import ThreadPoolExecutor
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

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

# The C each extension calls; an extension not listed here needs none.
C_SOURCES = {
    "_phrases": ["csrc/phrases.c", "csrc/vocab_table.c"],
    "_scan": ["csrc/vocab_table.c"],
    # the kernels once per instruction-set path, each its own compile job
    "_train": ["csrc/train.c", "csrc/train_baseline.c", "csrc/train_avx2.c",
               "csrc/train_avx512.c", "csrc/epoch.c"],
}
c_headers = sorted(glob("csrc/*.h"))  # setuptools does not track headers itself
macros = [
    ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
    # recorded for w2v.show_config()
    ("W2V_COMPILE_FLAGS", '"%s"' % " ".join(cflags).replace('"', "")),
]

extensions = [
    Extension(
        "w2v." + os.path.splitext(os.path.basename(pyx))[0],
        sources=[pyx] + C_SOURCES.get(os.path.splitext(os.path.basename(pyx))[0], []),
        depends=c_headers,
        include_dirs=["csrc", np.get_include()],
        define_macros=macros,
        extra_compile_args=cflags,
        extra_link_args=ldflags,
    )
    for pyx in sorted(glob("w2v/_*.pyx"))
]

JOBS = os.cpu_count() or 1


class ParallelBuildExt(build_ext):
    """build_ext that compiles every object file of every extension at once.

    setuptools compiles one extension after another and the files of one
    extension one by one; here each extension's files go to a shared pool of
    JOBS compile jobs (extensions themselves build in parallel, so the pool
    is shared to keep at most JOBS compilers running), then each links.
    """

    def initialize_options(self):
        super().initialize_options()
        self.parallel = JOBS

    def build_extensions(self):
        self._pool = ThreadPoolExecutor(JOBS)
        compile_serial = self.compiler.compile
        pool = self._pool

        def compile_parallel(sources, output_dir=None, **kwargs):
            # distutils' mkpath is not thread-safe: make the object folders first
            for obj in self.compiler.object_filenames(sources, output_dir=output_dir):
                os.makedirs(os.path.dirname(obj) or ".", exist_ok=True)
            futures = [pool.submit(compile_serial, [src], output_dir=output_dir, **kwargs)
                       for src in sources]
            return [obj for f in futures for obj in f.result()]

        self.compiler.compile = compile_parallel
        try:
            super().build_extensions()
        finally:
            self._pool.shutdown()


setup(ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES,
                            compile_time_env={}, quiet=True, nthreads=JOBS),
      cmdclass={"build_ext": ParallelBuildExt})
