/* Cache-line round trip between CPU 0 and CPU 1 (bench/bench_scaling.py).
 *
 * Two threads, pinned to CPUs 0 and 1, pass a counter back and forth through
 * one cache line; the time per round trip is what a Hogwild write to a row the
 * other core has just written costs, twice.  On a virtual machine it tells
 * where the host put the two vCPUs at that moment (same core complex: ~80 ns;
 * further apart: several hundred).
 *
 *   cc -O2 -pthread bench/core_latency.c -o core_latency && ./core_latency
 * prints the nanoseconds per round trip. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define ROUND_TRIPS 1000000

static int64_t flag __attribute__((aligned(64)));

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *answer(void *unused) {
    (void)unused;
    pin(1);
    for (int64_t i = 0; i < ROUND_TRIPS; i++) {
        while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 2 * i + 1)
            ;
        __atomic_store_n(&flag, 2 * i + 2, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(void) {
    pthread_t other;
    struct timespec t0, t1;
    pin(0);
    if (pthread_create(&other, NULL, answer, NULL) != 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int64_t i = 0; i < ROUND_TRIPS; i++) {
        __atomic_store_n(&flag, 2 * i + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 2 * i + 2)
            ;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(other, NULL);
    printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / ROUND_TRIPS);
    return 0;
}
