#!/usr/bin/env python3
"""Registers IMAGES photographs' worth of pdq-robust-v5 hashes at a running registry.

    python3 bench/registry/filed_cases.py URL IMAGES

Opens cases through `POST /v1/cases` (the only way filed hashes enter a registry: `quell list
import` reads python-threatexchange files, which have no parts), each holding the most filed
hashes a case may (5,000), random hashes of quality 90 in v5's proportions per registered
photograph on the project's corpus (BENCHMARKS.md, v5's cost per upload: 17.65 whole, 71.13
variant and 10.39 cut hashes an image). Random hashes: uploads match nothing, like almost every
real upload. The server must run with `--case-open-limit off`. Prints the count per part.
"""

import json
import random
import sys
import urllib.request

PER_IMAGE = {"whole": 17.65, "variant": 71.13, "cut": 10.39}
PER_CASE = 5000


def main():
    url, images = sys.argv[1].rstrip("/"), int(sys.argv[2])
    rng = random.Random(20261204)
    counts = {part: round(images * n) for part, n in PER_IMAGE.items()}
    entries = (part for part, n in counts.items() for _ in range(n))
    done = 0
    while True:
        batch = [next(entries, None) for _ in range(PER_CASE)]
        batch = [p for p in batch if p is not None]
        if not batch:
            break
        body = json.dumps({"hashes": [
            {"type": "pdq", "value": f"{rng.getrandbits(256):064x}", "quality": 90,
             "profile": "pdq-robust-v5", "part": part} for part in batch
        ]}).encode()
        request = urllib.request.Request(f"{url}/v1/cases", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            if response.status != 201:
                sys.exit(f"POST /v1/cases: {response.status} {response.read()!r}")
        done += len(batch)
    print(" ".join(f"{part}={n}" for part, n in counts.items()), f"total={done}")


if __name__ == "__main__":
    main()
