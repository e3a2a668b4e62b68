"""Parse-and-validate throughput on generated 50 MB files (issue "Read and check CADs").

    .venv/bin/python benchmarks/parse.py [--megabytes 50] [--skip-pydifact]

Generates one EDIFACT and one XML interchange of about the size asked, then
times, for each: reading alone, and reading + business validation (``pipeline.checking.check_bytes``), printing
MB/s and declarations/s; and pydifact's own parse of the same EDIFACT file (``Interchange.from_str``, which only
splits segments) for comparison. Prints peak RSS of the process too.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

from pipeline.checking import check_bytes
from pipeline.generate import generate_large_submission
from pipeline.parsers import read_submission
from pipeline.reference import load_reference
from pipeline.validate import ValidationContext


def build(syntax: str, megabytes: int, reference):  # noqa: ANN001
    """The cached file and the registry its world needs."""
    batch = generate_large_submission(syntax=syntax, target_bytes=megabytes * 1_000_000, seed=7, reference=reference)
    (generated,) = batch.files
    return generated, batch.registry


def timed(label: str, action, size: int, declarations: int) -> float:  # noqa: ANN001
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"  {label:<38} {seconds:7.2f} s  {size / seconds / 1e6:6.2f} MB/s  {declarations / seconds:8.0f} declarations/s")
    return seconds


def bench(syntax: str, megabytes: int, reference, with_pydifact: bool) -> None:  # noqa: ANN001
    started = time.perf_counter()
    generated, registry = build(syntax, megabytes, reference)
    data = generated.data
    print(f"{syntax}: {len(data) / 1e6:.1f} MB generated in {time.perf_counter() - started:.1f} s")
    interchange = read_submission(data, max_bytes=len(data) + 1).interchange
    count = len(interchange.declarations)
    print(f"  {count} declarations, {sum(len(d.lines) for d in interchange.declarations)} lines")
    del interchange
    context = ValidationContext(reference, generated.business_date, generated.sender, registry)
    timed("read (parse into the model)", lambda: read_submission(data, max_bytes=len(data) + 1), len(data), count)
    timed("read + validate", lambda: check_bytes(data, generated.path, context, max_bytes=len(data) + 1),
          len(data), count)
    if with_pydifact:
        from pydifact.segmentcollection import Interchange

        text = data.decode("latin-1")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydifact warns per segment that it has no D.96B directory
            timed("pydifact Interchange.from_str (split only)", lambda: Interchange.from_str(text), len(data), count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--skip-pydifact", action="store_true")
    args = parser.parse_args()
    reference = load_reference()
    bench("edifact", args.megabytes, reference, not args.skip_pydifact)
    bench("xml", args.megabytes, reference, False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
