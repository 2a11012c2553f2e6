/* Negative-sampling draw cost: cumulative table + binary search (gensim), alias table
 * (w2v), flat table (word2vec.c, 1e7 and 1e8 slots), for Zipf counts ** 0.75.
 *
 * Two loops per method:
 *   indep  independent draws, ids summed: throughput, misses can overlap;
 *   chain  each drawn id is mixed into the next RNG state: latency of one draw, as when
 *          a kernel needs the sample before it can go on.
 * Prints ns per draw, median of RUNS runs of N_DRAWS draws.
 *
 *   cc -O3 -o bench_sampling bench/bench_sampling.c -lm && ./bench_sampling [V ...]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 5
#define N_DRAWS 10000000L

static inline uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    int V;
    /* cumulative: cum[i] = sum of weights of words 0..i, scaled to 2^32 - 1 at the end */
    uint32_t *cum;
    /* alias */
    uint32_t *prob;
    int32_t *alias;
    /* flat tables */
    int32_t *flat;
    int64_t flat_size;
} tables_t;

/* ---- draw functions ------------------------------------------------------------------ */

static inline int32_t draw_cum(const tables_t *t, uint64_t r) {
    uint32_t x = (uint32_t)(r >> 32);
    int32_t lo = 0, hi = t->V - 1;      /* first i with cum[i] > x */
    while (lo < hi) {
        int32_t mid = (lo + hi) >> 1;
        if (t->cum[mid] > x) hi = mid; else lo = mid + 1;
    }
    return lo;
}

static inline int32_t draw_alias(const tables_t *t, uint64_t r) {
    uint32_t i = (uint32_t)(((r >> 32) * (uint64_t)t->V) >> 32);
    return ((uint32_t)r < t->prob[i]) ? (int32_t)i : t->alias[i];
}

static inline int32_t draw_flat(const tables_t *t, uint64_t r) {
    uint64_t i = ((r >> 32) * (uint64_t)t->flat_size) >> 32;
    return t->flat[i];
}

/* ---- table construction -------------------------------------------------------------- */

static double *zipf_weights(int V, double power) {
    double *w = malloc(sizeof(double) * V);
    for (int i = 0; i < V; i++) {
        /* word counts of a ~100M-token corpus, Zipf exponent 1, at least 5 */
        double c = floor(1e7 / (i + 1.0));
        if (c < 5) c = 5;
        w[i] = pow(c, power);
    }
    return w;
}

static void build_cum(tables_t *t, const double *w) {
    double total = 0, acc = 0;
    for (int i = 0; i < t->V; i++) total += w[i];
    t->cum = malloc(sizeof(uint32_t) * t->V);
    for (int i = 0; i < t->V; i++) {
        acc += w[i];
        t->cum[i] = (uint32_t)fmin(round(acc / total * 4294967295.0), 4294967295.0);
    }
    t->cum[t->V - 1] = 0xFFFFFFFFu;
}

/* Vose's method with two index stacks (float64 is plenty for a benchmark). */
static void build_alias(tables_t *t, const double *w) {
    int V = t->V, ns = 0, nl = 0;
    double total = 0, *q = malloc(sizeof(double) * V);
    int *small = malloc(sizeof(int) * V), *large = malloc(sizeof(int) * V);
    t->prob = malloc(sizeof(uint32_t) * V);
    t->alias = malloc(sizeof(int32_t) * V);
    for (int i = 0; i < V; i++) total += w[i];
    for (int i = 0; i < V; i++) {
        q[i] = w[i] / total * V;
        if (q[i] < 1.0) small[ns++] = i; else large[nl++] = i;
    }
    while (ns && nl) {
        int s = small[--ns], l = large[nl - 1];
        t->prob[s] = (uint32_t)(q[s] * 4294967296.0);
        t->alias[s] = l;
        q[l] -= 1.0 - q[s];
        if (q[l] < 1.0) { nl--; small[ns++] = l; }
    }
    while (nl) { int l = large[--nl]; t->prob[l] = 0xFFFFFFFFu; t->alias[l] = l; }
    while (ns) { int s = small[--ns]; t->prob[s] = 0xFFFFFFFFu; t->alias[s] = s; }
    free(q); free(small); free(large);
}

static void build_flat(tables_t *t, const double *w, int64_t size) {
    double total = 0, acc;
    int i = 0;
    for (int j = 0; j < t->V; j++) total += w[j];
    t->flat_size = size;
    t->flat = malloc(sizeof(int32_t) * size);
    acc = w[0] / total;
    for (int64_t a = 0; a < size; a++) {
        t->flat[a] = i;
        if ((double)a / size > acc && i < t->V - 1) { i++; acc += w[i] / total; }
    }
}

/* ---- timing ---------------------------------------------------------------------------- */

#define DEFINE_LOOPS(NAME, DRAW)                                                         \
    static double indep_##NAME(const tables_t *t, uint64_t seed, int64_t *sink) {        \
        uint64_t s = seed; int64_t sum = 0; double t0 = now();                           \
        for (long k = 0; k < N_DRAWS; k++) sum += DRAW(t, splitmix64(&s));               \
        double dt = now() - t0; *sink += sum; return dt * 1e9 / N_DRAWS;                 \
    }                                                                                    \
    static double chain_##NAME(const tables_t *t, uint64_t seed, int64_t *sink) {        \
        uint64_t s = seed; int32_t w = 0; double t0 = now();                             \
        for (long k = 0; k < N_DRAWS; k++) { s ^= (uint64_t)w; w = DRAW(t, splitmix64(&s)); } \
        double dt = now() - t0; *sink += w; return dt * 1e9 / N_DRAWS;                   \
    }

DEFINE_LOOPS(cum, draw_cum)
DEFINE_LOOPS(alias, draw_alias)
DEFINE_LOOPS(flat, draw_flat)

typedef double (*loop_fn)(const tables_t *, uint64_t, int64_t *);

static double median_of_runs(loop_fn fn, const tables_t *t, int64_t *sink) {
    double ns[RUNS];
    fn(t, 12345, sink); /* warm the caches and page tables */
    for (int r = 0; r < RUNS; r++) ns[r] = fn(t, 1000 + r, sink);
    qsort(ns, RUNS, sizeof(double), cmp_double);
    return ns[RUNS / 2];
}

/* Number of 32-bit values x with ((x * n) >> 32) == i: how often slot i of n is picked. */
static double slot_hits(uint64_t i, uint64_t n) {
    uint64_t lo = ((i << 32) + n - 1) / n, hi = (((i + 1) << 32) + n - 1) / n;
    return (double)(hi - lo);
}

/* Total variation between the distribution a table really draws from (computed from the
 * table, no sampling) and the exact counts ** 0.75. */
static double tv_exact(const tables_t *t, const double *w, int method) {
    int V = t->V;
    double total = 0, tv = 0, *p = calloc(V, sizeof(double));
    for (int i = 0; i < V; i++) total += w[i];
    if (method == 0) {
        for (int i = 0; i < V; i++)
            p[i] = (i == V - 1 ? 4294967296.0 : (double)t->cum[i]) - (i ? (double)t->cum[i - 1] : 0);
    } else if (method == 1) {
        for (int i = 0; i < V; i++) {
            double hits = slot_hits(i, V), keep = (double)t->prob[i] / 4294967296.0;
            if (t->alias[i] == i) keep = 1.0;
            p[i] += hits * keep;
            p[t->alias[i]] += hits * (1.0 - keep);
        }
    } else {
        for (int64_t a = 0; a < t->flat_size; a++) p[t->flat[a]] += slot_hits(a, t->flat_size);
    }
    for (int i = 0; i < V; i++) tv += fabs(p[i] / 4294967296.0 - w[i] / total);
    free(p);
    return tv / 2;
}

int main(int argc, char **argv) {
    int default_V[] = {57000, 231000};
    int nV = argc > 1 ? argc - 1 : 2;
    int64_t sink = 0;
    printf("ns per draw, median of %d runs x %ld draws; tv = total variation of the table vs exact\n",
           RUNS, N_DRAWS);
    printf("%-8s %-20s %8s %8s %9s %10s\n", "V", "method", "indep", "chain", "tv", "table MB");
    for (int a = 0; a < nV; a++) {
        tables_t t;
        memset(&t, 0, sizeof t);
        t.V = argc > 1 ? atoi(argv[a + 1]) : default_V[a];
        double *w = zipf_weights(t.V, 0.75);
        build_cum(&t, w);
        build_alias(&t, w);
        printf("%-8d %-20s %8.2f %8.2f %9.2e %10.1f\n", t.V, "cumulative+bsearch",
               median_of_runs(indep_cum, &t, &sink), median_of_runs(chain_cum, &t, &sink),
               tv_exact(&t, w, 0), 4.0 * t.V / 1e6);
        printf("%-8d %-20s %8.2f %8.2f %9.2e %10.1f\n", t.V, "alias",
               median_of_runs(indep_alias, &t, &sink), median_of_runs(chain_alias, &t, &sink),
               tv_exact(&t, w, 1), 8.0 * t.V / 1e6);
        int64_t sizes[2] = {10000000LL, 100000000LL};
        for (int k = 0; k < 2; k++) {
            build_flat(&t, w, sizes[k]);
            printf("%-8d flat table %-9.0e %8.2f %8.2f %9.2e %10.1f\n", t.V, (double)sizes[k],
                   median_of_runs(indep_flat, &t, &sink), median_of_runs(chain_flat, &t, &sink),
                   tv_exact(&t, w, 2), 4.0 * sizes[k] / 1e6);
            free(t.flat);
        }
        fflush(stdout);
        free(t.cum); free(t.prob); free(t.alias); free(w);
    }
    fprintf(stderr, "(sink %lld)\n", (long long)sink);
    return 0;
}
