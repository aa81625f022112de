"""A tiny launcher that runs one command and records that command's own wall time and peak RSS.

Run as `python -S -I spawn.py RESULT_JSON COMMAND...`, standard library only. Why not measure from the caller:
Linux carries a process's RSS high-water mark across fork and exec (exec folds the old address space's peak
into ru_maxrss), so a child forked from a large caller (say, pytest or the benchmark itself after building
inputs) reports at least the caller's RSS, whatever it does itself. This launcher starts small, and what it
forks inherits only its few MB.
"""

import json
import os
import sys
import time


def main() -> int:
    result, command = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        except OSError as error:
            os.write(2, f"spawn: cannot run {command[0]}: {error}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # Linux reports KiB
    with open(result, "w") as f:
        cpu = usage.ru_utime + usage.ru_stime  # on a shared machine, the number least disturbed by other jobs
        json.dump({"returncode": code, "wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": usage.ru_maxrss * scale}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
