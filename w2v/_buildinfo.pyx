"""Facts fixed when the extension was compiled (see w2v.show_config)."""
from w2v._config cimport w2v_openmp_enabled, w2v_max_threads, w2v_compile_flags


def openmp_enabled():
    return bool(w2v_openmp_enabled())


def max_threads():
    return w2v_max_threads()


def compile_flags():
    return w2v_compile_flags().decode()
