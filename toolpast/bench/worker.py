"""The process the vector benchmark measures: one skill-vector operation, or only the imports (the baseline).

    python -m toolpast.bench.worker baseline
    python -m toolpast.bench.worker extract RL SFT OUT
    python -m toolpast.bench.worker inject MODEL VECTOR OUT

Both run with the library defaults, i.e. exactly what `toolpast skill extract/inject` does (provenance hashes
included). The last stdout line is JSON with the operation's own time, without interpreter start-up.
"""

from __future__ import annotations

import json
import sys
import time

from toolpast.vectors import extract_skill_vector, inject_skill_vector


def main(argv: list[str]) -> int:
    op, *args = argv
    start = time.perf_counter()
    if op == "baseline":
        pass
    elif op == "extract":
        rl, sft, out = args
        extract_skill_vector(rl, sft, out)
    elif op == "inject":
        model, vector, out = args
        inject_skill_vector(model, vector, 1.0, out)
    else:
        raise SystemExit(f"unknown operation {op!r}")
    print(json.dumps({"op": op, "op_s": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
