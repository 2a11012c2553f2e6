#!/bin/sh
# Compile and run the negative-sampling microbenchmark (see bench/bench_sampling.c).
# Usage: bench/bench_sampling.sh [V ...]     (default V = 57000 231000)
set -e
here=$(cd "$(dirname "$0")" && pwd)
exe=$(mktemp "${TMPDIR:-/tmp}/bench_sampling.XXXXXX")
trap 'rm -f "$exe"' EXIT
${CC:-cc} -O3 -o "$exe" "$here/bench_sampling.c" -lm
"$exe" "$@"
