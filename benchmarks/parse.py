"""Parse-and-validate throughput on generated 50 MB files (issue "Read and check CADs").

    .venv/bin/python benchmarks/parse.py [--megabytes 50] [--skip-pydifact] [--rounds 1] [--edifact-only]

Generates one EDIFACT and one XML interchange of about the size asked, then
times, for each: reading alone, and reading + business validation (``pipeline.checking.check_bytes``), printing
MB/s and declarations/s; and pydifact's own parse of the same EDIFACT file (``Interchange.from_str``, which only
splits segments) for comparison, with how many times faster our reading is (issue 11 asks for 10). Times are CPU
times (the median of ``--rounds``, the EDIFACT reading and pydifact's taken in turn): on a shared machine the wall
clock measures the other users too. Prints peak RSS of the process too.
"""

from __future__ import annotations

import argparse
import resource
import statistics
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


def cpu_seconds(action) -> float:  # noqa: ANN001
    start = time.process_time()
    action()
    return time.process_time() - start


def report(label: str, seconds: float, size: int, declarations: int) -> float:
    print(f"  {label:<38} {seconds:7.2f} s  {size / seconds / 1e6:6.2f} MB/s  {declarations / seconds:8.0f} declarations/s")
    return seconds


def timed(label: str, action, size: int, declarations: int) -> float:  # noqa: ANN001
    return report(label, cpu_seconds(action), size, declarations)


def bench(syntax: str, megabytes: int, reference, with_pydifact: bool, rounds: int = 1) -> None:  # noqa: ANN001
    started = time.perf_counter()
    generated, registry = build(syntax, megabytes, reference)
    data = generated.data
    print(f"{syntax}: {len(data) / 1e6:.1f} MB generated in {time.perf_counter() - started:.1f} s")
    interchange = read_submission(data, max_bytes=len(data) + 1).interchange
    count = len(interchange.declarations)
    print(f"  {count} declarations, {sum(len(d.lines) for d in interchange.declarations)} lines")
    del interchange
    context = ValidationContext(reference, generated.business_date, generated.sender, registry)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        ours.append(cpu_seconds(lambda: read_submission(data, max_bytes=len(data) + 1)))
        if with_pydifact:
            theirs.append(pydifact_seconds(data))
    read = report("read (parse into the model)", statistics.median(ours), len(data), count)
    timed("read + validate", lambda: check_bytes(data, generated.path, context, max_bytes=len(data) + 1),
          len(data), count)
    if theirs:
        split = report("pydifact Interchange.from_str (split only)", statistics.median(theirs), len(data), count)
        print(f"  reading is {split / read:.1f}x pydifact's split (issue 11: at least 10x)")


def pydifact_seconds(data: bytes) -> float:
    """CPU time of pydifact's own parse of the same bytes (which only splits segments)."""
    from pydifact.segmentcollection import Interchange

    text = data.decode("latin-1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns per segment that it has no D.96B directory
        return cpu_seconds(lambda: Interchange.from_str(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--skip-pydifact", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="EDIFACT reading and pydifact's, taken in turn")
    parser.add_argument("--edifact-only", action="store_true")
    args = parser.parse_args()
    reference = load_reference()
    bench("edifact", args.megabytes, reference, not args.skip_pydifact, args.rounds)
    if not args.edifact_only:
        bench("xml", args.megabytes, reference, False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
