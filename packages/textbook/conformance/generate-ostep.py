#!/usr/bin/env python3
# Runs every invocation of ostep-cases.txt through the real OSTEP scripts and stores what they
# printed: fixtures/ostep/<script>.json, a list of {"argv", "stdout", "stderr", "status"}.
# Usage: OSTEP_HOME=/path/to/ostep-homework [OSTEP_COMMIT=sha] python3 generate-ostep.py   (python3 3.11)
import json, os, shlex, subprocess, sys
here = os.path.dirname(os.path.abspath(__file__))
home = os.environ["OSTEP_HOME"]
dirs = {"relocation.py": "vm-mechanism", "segmentation.py": "vm-segmentation", "malloc.py": "vm-freespace",
        "paging-linear-translate.py": "vm-paging", "paging-multilevel-translate.py": "vm-smalltables",
        "paging-policy.py": "vm-beyondphys-policy"}
commit = os.environ.get("OSTEP_COMMIT") or subprocess.run(["git", "-C", home, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
out = {}
for line in open(os.path.join(here, "ostep-cases.txt")):
    if not line.strip() or line.startswith("#"):
        continue
    words = shlex.split(line)
    extra = {}
    while "=" in words[0]:  # a leading NAME=value sets the environment (COLUMNS for -h)
        name, value = words.pop(0).split("=", 1)
        extra[name] = value
    script, argv = words[0], words[1:]
    r = subprocess.run([sys.executable, os.path.join(home, dirs[script], script)] + argv, capture_output=True,
                       cwd=os.path.join(here, "fixtures", "ostep"), env={**env, **extra}, timeout=60)
    row = {"argv": argv, "stdout": r.stdout.decode(), "stderr": r.stderr.decode(), "status": r.returncode}
    if extra:
        row["env"] = extra
    out.setdefault(script, []).append(row)
for script, rows in out.items():
    with open(os.path.join(here, "fixtures", "ostep", script[:-3] + ".json"), "w") as f:
        json.dump({"source": "remzi-arpacidusseau/ostep-homework " + dirs[script] + "/" + script, "commit": commit,
                   "python": sys.version.split()[0], "cases": rows}, f, indent=1)
        f.write("\n")
    print(script, len(rows))
