"""Run one command in a fresh process; print {"seconds", "peak_rss_mib", "returncode"} as JSON.

A wrapper process per measurement: getrusage(RUSAGE_CHILDREN) then reports exactly that one child's peak RSS.
"""

import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "returncode": proc.returncode,
                  "stderr": proc.stderr[-400:]}))
