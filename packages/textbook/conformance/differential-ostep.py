#!/usr/bin/env python3
# Differential check beyond the fixture table: N random invocations of the six OSTEP scripts
# (random seeds, sizes, policies, flags), run through the real scripts; the results go to one
# JSON file that differential.test.ts replays when MMSIM_OSTEP_DIFFERENTIAL names it.
# Usage: OSTEP_HOME=/path/to/ostep-homework python3 differential-ostep.py [N [SEED]] > /tmp/ostep-diff.json
#        MMSIM_OSTEP_DIFFERENTIAL=/tmp/ostep-diff.json pnpm exec vitest run --project textbook differential
import json, os, random, subprocess, sys

home = os.environ["OSTEP_HOME"]
n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
dirs = {"relocation": "vm-mechanism", "segmentation": "vm-segmentation", "malloc": "vm-freespace",
        "paging-linear-translate": "vm-paging", "paging-multilevel-translate": "vm-smalltables",
        "paging-policy": "vm-beyondphys-policy"}

def invocation():
    s = r.choice(sorted(dirs))
    a = ["-s", str(r.randint(0, 10 ** r.randint(1, 12)))]
    if r.random() < 0.8:
        a.append("-c")
    if s in ("relocation", "segmentation"):
        a += ["-n", str(r.randint(0, 30))]
        if r.random() < 0.3:
            a += ["-a", r.choice(["1k", "2k", "16", "128"]), "-p", r.choice(["16k", "32k", "1m"])]
    elif s == "paging-linear-translate":
        a += ["-n", str(r.randint(0, 30)), "-u", str(r.randint(0, 100))]
        if r.random() < 0.5:
            a += ["-P", r.choice(["1k", "2k", "512", "8"]), "-a", r.choice(["16k", "8k", "1k", "64"]), "-p", r.choice(["32k", "64k", "128k"])]
        if r.random() < 0.3:
            a.append("-v")
    elif s == "paging-multilevel-translate":
        a += ["-n", str(r.randint(0, 40)), "-a", str(r.randint(0, 60))]
    elif s == "paging-policy":
        a += ["-p", r.choice(["FIFO", "LRU", "OPT", "UNOPT", "RAND", "CLOCK", "MRU"]), "-C", str(r.randint(1, 8)),
              "-n", str(r.randint(0, 60)), "-m", str(r.randint(1, 20)), "-b", str(r.randint(0, 4))]
        if r.random() < 0.2:
            a.append("-N")
    else:
        a += ["-n", str(r.randint(0, 40)), "-P", str(r.randint(1, 100)), "-r", str(r.randint(1, 30)), "-S", str(r.randint(10, 300)),
              "-p", r.choice(["BEST", "WORST", "FIRST"]), "-l", r.choice(["ADDRSORT", "SIZESORT+", "SIZESORT-", "INSERT-FRONT", "INSERT-BACK"])]
        if r.random() < 0.5:
            a.append("-C")
        if r.random() < 0.3:
            a += ["-H", str(r.randint(0, 8))]
        if r.random() < 0.3:
            a += ["-a", str(r.randint(1, 8))]
    return s, a

rows = []
for _ in range(n):
    s, a = invocation()
    p = subprocess.run([sys.executable, os.path.join(home, dirs[s], s + ".py")] + a, capture_output=True, timeout=120)
    err = p.stderr.decode().strip().split("\n")
    rows.append({"script": s, "argv": a, "stdout": p.stdout.decode(), "status": p.returncode, "stderrLast": err[-1]})
json.dump({"python": sys.version.split()[0], "cases": rows}, sys.stdout)
