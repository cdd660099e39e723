/*
 * lcs-count: exact hit/miss counts from libCacheSim, for mmsim's replay conformance fixtures.
 * cachesim prints miss ratios rounded to 4 decimals; this driver runs the same cache
 * implementations (LRU_init, FIFO_init, ... with libCacheSim's default parameters) through the
 * same get() path cachesim's simulate() uses, and prints exact integers:
 *
 *   lcs-count TRACE.oracleGeneral ALGO SIZE[,SIZE...]   ->   ALGO SIZE requests misses
 *
 * Object sizes are ignored (every page counts 1, as cachesim --ignore-obj-size 1).
 * Build: see build.sh beside this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libCacheSim/cache.h"
#include "libCacheSim/evictionAlgo.h"
#include "libCacheSim/reader.h"

typedef cache_t *(*init_fn)(const common_cache_params_t, const char *);

static init_fn find_algo(const char *name) {
  if (!strcasecmp(name, "lru")) return LRU_init;
  if (!strcasecmp(name, "fifo")) return FIFO_init;
  if (!strcasecmp(name, "clock")) return Clock_init;
  if (!strcasecmp(name, "belady")) return Belady_init;
  if (!strcasecmp(name, "arc")) return ARC_init;
  if (!strcasecmp(name, "twoq")) return TwoQ_init;
  if (!strcasecmp(name, "s3fifo")) return S3FIFO_init;
  if (!strcasecmp(name, "sieve")) return Sieve_init;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s TRACE.oracleGeneral ALGO SIZE[,SIZE...]\n", argv[0]);
    return 2;
  }
  init_fn init = find_algo(argv[2]);
  if (init == NULL) {
    fprintf(stderr, "unknown algorithm %s\n", argv[2]);
    return 2;
  }
  reader_init_param_t rp = default_reader_init_params();
  rp.ignore_obj_size = true;
  rp.ignore_size_zero_req = true;
  reader_t *reader = open_trace(argv[1], ORACLE_GENERAL_TRACE, &rp);
  request_t *req = new_request();
  char *sizes = strdup(argv[3]);
  for (char *tok = strtok(sizes, ","); tok != NULL; tok = strtok(NULL, ",")) {
    common_cache_params_t cp = default_common_cache_params();
    cp.cache_size = strtoll(tok, NULL, 10);
    cache_t *cache = init(cp, NULL);
    reset_reader(reader);
    long long n_req = 0, n_miss = 0;
    while (read_one_req(reader, req) == 0) {
      n_req++;
      if (!cache->get(cache, req)) n_miss++;
    }
    printf("%s %lld %lld %lld\n", argv[2], (long long)cp.cache_size, n_req, n_miss);
    cache->cache_free(cache);
  }
  free(sizes);
  free_request(req);
  close_trace(reader);
  return 0;
}
