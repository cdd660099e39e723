/*
 * A C model of the CS:APP cache lab's csim-ref, rebuilt from its disassembly (the lab ships
 * only a 32-bit i386 binary, which this machine cannot execute) for the speed comparison in
 * textbook.bench.ts: the same data layout (an array of sets of 20-byte lines: valid byte,
 * 64-bit tag, 64-bit LRU stamp), the same fgets(1000) + sscanf("%llx,%u") reading and the same
 * linear scans. Build: cc -O0 (as the binary was) or -O2. Prints csim-ref's summary line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <math.h>

typedef struct { char valid; unsigned long long tag; unsigned long long lru; } line_t;

static int s, E, b, verbosity, hit_count, miss_count, eviction_count;
static char *trace_file;
static line_t **cache;
static int S;
static unsigned long long set_index_mask, lru_counter = 1;

static void access_data(unsigned long long addr) {
  unsigned long long set_index = (addr >> b) & set_index_mask;
  unsigned long long tag = addr >> (s + b);
  line_t *set = cache[set_index];
  unsigned long long eviction_lru = 0xffffffffULL;
  int eviction_line = 0;
  for (int i = 0; i < E; i++) {
    if (set[i].tag == tag && set[i].valid) {
      hit_count++;
      if (verbosity) printf("hit ");
      set[i].lru = lru_counter++;
      return;
    }
  }
  miss_count++;
  if (verbosity) printf("miss ");
  for (int i = 0; i < E; i++) {
    if (set[i].lru < eviction_lru) { eviction_line = i; eviction_lru = set[i].lru; }
  }
  if (set[eviction_line].valid) {
    eviction_count++;
    if (verbosity) printf("eviction ");
  }
  set[eviction_line].valid = 1;
  set[eviction_line].tag = tag;
  set[eviction_line].lru = lru_counter++;
}

int main(int argc, char **argv) {
  int c;
  while ((c = getopt(argc, argv, "s:E:b:t:vh")) != -1) {
    switch (c) {
      case 's': s = atoi(optarg); break;
      case 'E': E = atoi(optarg); break;
      case 'b': b = atoi(optarg); break;
      case 't': trace_file = optarg; break;
      case 'v': verbosity = 1; break;
      default: return 1;
    }
  }
  if (!s || !E || !b || !trace_file) return 1;
  S = (int)pow(2, s);
  cache = malloc(sizeof(line_t *) * S);
  for (int i = 0; i < S; i++) cache[i] = calloc(E, sizeof(line_t));
  set_index_mask = (unsigned long long)(pow(2, s) - 1);
  FILE *fp = fopen(trace_file, "r");
  if (!fp) { perror(trace_file); return 1; }
  char buf[1000];
  unsigned long long addr = 0;
  unsigned len = 0;
  while (fgets(buf, 1000, fp)) {
    if (buf[1] == 'S' || buf[1] == 'L' || buf[1] == 'M') {
      sscanf(buf + 3, "%llx,%u", &addr, &len);
      if (verbosity) printf("%c %llx,%u ", buf[1], addr, len);
      access_data(addr);
      if (buf[1] == 'M') access_data(addr);
      if (verbosity) putchar('\n');
    }
  }
  fclose(fp);
  printf("hits:%d misses:%d evictions:%d\n", hit_count, miss_count, eviction_count);
  return 0;
}
