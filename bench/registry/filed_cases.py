#!/usr/bin/env python3
"""Registers IMAGES photographs' worth of a profile's filed hashes at a running registry.

    python3 bench/registry/filed_cases.py URL IMAGES [PROFILE]     (default pdq-robust-v6)

Opens cases through `POST /v1/cases` (the only way filed hashes enter a registry: `quell list
import` reads python-threatexchange files, which have no parts), each holding the most filed
hashes a case may (5,000), random hashes of quality 90 in the profile's proportions per
registered photograph (v5: 17.65 whole, 71.13 variant and 10.39 cut hashes an image, the
figures BENCHMARKS.md's v5 sections were measured with; v6: 20.0, 73.2 and 21.6 on the tuning
corpus, where v5 registers 20.0, 73.2 and 11.1: `cargo run --release -p quell-lab --example
filed_quality -- [--profile NAME] /tmp/robust-corpus/originals`). Random hashes: uploads match nothing, like almost every
real upload. The server must run with `--case-open-limit off`. Prints the count per part.
"""

import json
import random
import sys
import urllib.request

PER_IMAGE = {
    "pdq-robust-v5": {"whole": 17.65, "variant": 71.13, "cut": 10.39},
    "pdq-robust-v6": {"whole": 20.0, "variant": 73.2, "cut": 21.6},
}
PER_CASE = 5000


def main():
    url, images = sys.argv[1].rstrip("/"), int(sys.argv[2])
    profile = sys.argv[3] if len(sys.argv) > 3 else "pdq-robust-v6"
    rng = random.Random(20261204)
    counts = {part: round(images * n) for part, n in PER_IMAGE[profile].items()}
    entries = (part for part, n in counts.items() for _ in range(n))
    done = 0
    while True:
        batch = [next(entries, None) for _ in range(PER_CASE)]
        batch = [p for p in batch if p is not None]
        if not batch:
            break
        body = json.dumps({"hashes": [
            {"type": "pdq", "value": f"{rng.getrandbits(256):064x}", "quality": 90,
             "profile": profile, "part": part} for part in batch
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
