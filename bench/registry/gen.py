#!/usr/bin/env python3
"""Random PDQ hashes for the registry benchmark.

    gen.py N LIST QUERIES NQ

LIST: N lines `pdq <hex>` (python-threatexchange file format, for `quell list import`).
QUERIES: NQ hex hashes, each a loaded hash with 8 random bits flipped (so every query has a
match within distance 31), for the wrk script.
"""
import random
import sys

n, list_path, query_path, nq = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(20261125)
sample_every = max(1, n // nq)
queries = []
with open(list_path, "w") as out:
    for i in range(n):
        h = rng.getrandbits(256)
        out.write(f"pdq {h:064x}\n")
        if i % sample_every == 0 and len(queries) < nq:
            for bit in rng.sample(range(256), 8):
                h ^= 1 << bit
            queries.append(f"{h:064x}")
with open(query_path, "w") as out:
    out.write("\n".join(queries) + "\n")
