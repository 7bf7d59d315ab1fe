#!/usr/bin/env python3
"""Runs a command that must fail as a whole: non-zero exit, within a time limit, with a given
message in its output. Used for the multi-rank failure drills (a job that hangs instead of
dying is the failure these tests exist to catch).

usage: check_job_dies.py --expect TEXT --within SECONDS -- command ...
"""
import argparse
import subprocess
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--expect", action="append", required=True)
p.add_argument("--within", type=float, required=True)
p.add_argument("command", nargs=argparse.REMAINDER)
a = p.parse_args()
cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command

start = time.monotonic()
try:
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=a.within * 3, text=True, errors="replace")
    code, out = r.returncode, r.stdout
except subprocess.TimeoutExpired as e:
    code, out = None, (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
elapsed = time.monotonic() - start
print(out)
print(f"--- exit code {code}, {elapsed:.1f} s (limit {a.within:.0f} s)")
problems = []
if code is None:
    problems.append("the job hung (killed after %.0f s)" % (a.within * 3))
elif code == 0:
    problems.append("the job exited with 0")
if elapsed > a.within:
    problems.append("the job took %.1f s to die (limit %.0f s)" % (elapsed, a.within))
for text in a.expect:
    if text not in out:
        problems.append("output lacks %r" % text)
if problems:
    print("FAILED: " + "; ".join(problems))
    sys.exit(1)
print("OK: the job died as it should")
