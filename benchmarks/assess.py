"""Benchmark of the assessment engine: ``.venv/bin/python benchmarks/assess.py [--lines N]`` (default 1,000,000).

Builds N realistic CAD lines (ten per declaration) as model objects from the shipped reference data: every
classification of the tariff sample under the treatment its origin would use, USD/CAD/EUR/CNY/JPY/GBP/MXN
invoices shipped across the years the shipped exchange rates cover, SIMA and excise codes where the goods call for them, the GST/HST break in its
window, courier low-value shipments, filer amounts on some lines. Then it times, separately, turning the
declarations into the engine's DataFrame and the engine itself, times the Decimal oracle on a sample, checks that
both agree on that sample, and reports peak memory.

The frame build is what intake does on every batch: the readers have recorded each line as they built it
(``ParseResult.records``, here ``records_of`` each file of ``FILE_CADS`` declarations, untimed: the readers record
exactly that, tests/test_reader_records.py); intake builds the batch's frame from its files' records
(``frame_from_records``, timed). For comparison the benchmark also times building the
frame from the declarations' objects after the fact (``build_line_frame``, what ``carm assess`` does).

Targets on the project's 2-core machine (issue 11): engine >= 2,000,000 lines/s, frame build >= 1,000,000 lines/s,
>= 50x the oracle, peak <= 2 GB at 1M lines. The machine is shared: ``--repeat`` runs are timed and the medians of
wall and CPU time printed beside the load average. They follow a first run, printed on its own: a process's first
batch of this size has the kernel map and zero every page of its arrays, which on this machine cost as much as the
engine's arithmetic; later batches reuse those pages, as intake's processes do batch after batch. Each run drops
the last run's assessment first, as intake drops each batch's (held, the next run needed fresh pages again).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.assess import assess_declaration_decimal, assess_frame, build_line_frame, frame_from_records  # noqa: E402
from pipeline.assess.rules import AMOUNTS  # noqa: E402
from pipeline.model import Declaration, FilerAmount, Line, Party  # noqa: E402
from pipeline.money import to_cents  # noqa: E402
from pipeline.parsers.records import records_of  # noqa: E402
from pipeline.reference import load_reference  # noqa: E402
from pipeline.reference.types import ReferenceData, covers, in_window  # noqa: E402

LINES_PER_DECLARATION = 10
ORIGINS = np.array(["US", "CN", "DE", "MX", "JP", "IN", "VN", "KR", "GB", "IT"])
ORIGIN_WEIGHTS = np.array([0.35, 0.25, 0.08, 0.07, 0.05, 0.05, 0.05, 0.04, 0.03, 0.03])
CURRENCIES = np.array(["USD", "CAD", "EUR", "CNY", "JPY", "GBP", "MXN"])
CURRENCY_WEIGHTS = np.array([0.55, 0.15, 0.12, 0.08, 0.04, 0.03, 0.03])
PREFERENCE = {"US": "10", "MX": "11", "DE": "31", "IT": "31", "GB": "34", "KR": "30", "JP": "33", "VN": "33"}
FIRST_SHIPMENT = date(2023, 12, 27)
GST_BREAK = "24-25-GSTTPS"
FILE_CADS = 200  # declarations a file, as the national day's files have


def _peak_rss_mb() -> float:
    """Peak resident memory since the last reset (VmHWM on Linux), else since the start."""
    status = Path("/proc/self/status")
    if status.exists():
        for row in status.read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(function, *arguments):
    """The function's result, and its (wall, CPU) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*arguments)
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class _Goods:
    """What the generator needs to know of one (tariff item, origin) pair, worked out once."""

    def __init__(self, reference: ReferenceData, item, origin: str) -> None:
        self.item, self.origin = item, origin
        treatment = PREFERENCE.get(origin)
        if treatment not in item.rates:
            treatment = "2" if "2" in item.rates else sorted(item.rates)[0]
        self.treatment, self.rate = treatment, item.rates[treatment]
        self.measures = [m for m in reference.sima.values() if origin in m.countries and covers(m.goods, item.classification)]
        self.excise = [e for e in reference.excise.values() if e.goods is not None and covers(e.goods, item.classification)]
        gst_break = reference.special_authorities.get(GST_BREAK)
        self.gst_break = gst_break if gst_break is not None and covers(gst_break.goods, item.classification) else None


def build_declarations(reference: ReferenceData, lines: int, seed: int) -> list[Declaration]:
    rng = np.random.default_rng(seed)
    items = [versions[0] for _, versions in sorted(reference.tariff.items.items())]
    goods = {(i, str(o)): _Goods(reference, item, str(o)) for i, item in enumerate(items) for o in ORIGINS}
    units = reference.units
    importer = Party("IM", "Acme Imports Ltd", id="123456782RM0001")
    vendor = Party("SE", "Vendor Co")
    # releases only where every invoice currency has a rate (a rate is at most 7 days old: B14)
    last_rate = min(reference.exchange_rates.series[str(c)][-1][0] for c in CURRENCIES if c != "CAD")
    day_span = (last_rate - date(2024, 1, 2)).days
    declarations, made = [], 0
    for index in range((lines + LINES_PER_DECLARATION - 1) // LINES_PER_DECLARATION):
        released = date(2024, 1, 2) + timedelta(days=int(rng.integers(0, day_span)))
        shipped = max(FIRST_SHIPMENT, released - timedelta(days=int(rng.integers(0, 8))))
        currency = str(rng.choice(CURRENCIES, p=CURRENCY_WEIGHTS))
        clvs = bool(rng.random() < 0.05)
        minor = reference.currencies.get(currency, 2)
        size = min(LINES_PER_DECLARATION, lines - made)
        chosen = rng.integers(0, len(items), size=size)
        origins = rng.choice(ORIGINS, size=size, p=ORIGIN_WEIGHTS)
        values = rng.integers(1, 20_000 if clvs else 5_000_000, size=size)  # minor units of the currency
        quantities = rng.integers(1, 50_000, size=size)
        draws = rng.random(size=(size, 4))
        row_lines = []
        for k in range(size):
            pair = goods[(int(chosen[k]), str(origins[k]))]
            item, rate = pair.item, pair.rate
            cents = int(values[k])
            value = str(cents) if minor == 0 else f"{cents // 100}.{cents % 100:02d}"
            unit = item.unit or "NMB"
            if rate.specific_unit == "TNE" and draws[k, 0] < 0.5:
                unit = "KGM"  # a specific rate per tonne declared in kilograms: converted
            measure = next((m for m in pair.measures if in_window(released, m.start, m.end)), None)
            if measure is not None and measure.unit is not None:
                unit = measure.unit
            whole = int(quantities[k])
            quantity = f"{whole // 10}.{whole % 10}" if unit in ("KGM", "TNE", "LTR") else str(whole // 100 + 1)
            excise = next((e for e in pair.excise if units.factor(unit, e.unit) is not None), None)
            gst_break = pair.gst_break
            authority = (GST_BREAK if gst_break is not None and in_window(released, gst_break.start, gst_break.end)
                         and draws[k, 1] < 0.8 else None)
            # Filers often declare their customs duty; free goods make it easy to get right. Now and then an
            # amount is wrong (W01).
            filer = ()
            if rate.is_free and draws[k, 2] < 0.2:
                filer = (FilerAmount("CUD", "0.00", f"TAX#{20 + 3 * k}"),)
            elif draws[k, 2] > 0.99:
                filer = (FilerAmount("GST", f"{cents // 7}.00", f"TAX#{20 + 3 * k}"),)
            row_lines.append(Line(
                number=str(k + 1), classification=item.classification, treatment=pair.treatment,
                description=item.description, origin=pair.origin, unit=unit, quantity=quantity, value=value,
                cargo_control=f"8000{index:08d}{k}" if clvs else None, special_authority=authority,
                excise_code=excise.code if excise is not None and draws[k, 3] < 0.3 else None,
                sima=measure.code if measure is not None and draws[k, 3] < 0.7 else None,
                filer_amounts=filer, location=f"LIN#{6 + 3 * k}",
            ))
        made += size
        declarations.append(Declaration(
            function="9", transaction_number=f"1{index:013d}", version="1", cad_type="C" if clvs else "AB",
            document_date=released.isoformat(), release_date=released.isoformat(), shipment_date=shipped.isoformat(),
            office="0497", export_country="US", importer=importer, vendor=vendor, transport_mode="2",
            currency=currency, lines=tuple(row_lines), message_reference=str(index + 1), location="UNH#1",
        ))
    return declarations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--oracle-lines", type=int, default=20_000, help="lines of the oracle sample")
    parser.add_argument("--seed", type=int, default=20250502)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the frame build and the engine, after the first")
    args = parser.parse_args()

    reference = load_reference()
    started = time.perf_counter()
    declarations = build_declarations(reference, args.lines, args.seed)
    print(f"generated {args.lines:,} lines in {len(declarations):,} declarations "
          f"({time.perf_counter() - started:.1f} s, not timed below)")
    # warm-up on a small batch so that one-time imports and caches do not count
    assess_frame(build_line_frame(declarations[:50]), declarations[:50], reference)

    gc.collect()
    baseline = _peak_rss_mb()
    resettable = _reset_peak()
    files = [records_of(declarations[start:start + FILE_CADS]) for start in range(0, len(declarations), FILE_CADS)]
    frame_runs, engine_runs, object_runs = [], [], []
    for run in range(args.repeat + 1):  # the machine is shared: several runs, medians reported
        frame, frame_seconds = _timed(frame_from_records, files)
        assessment = None  # the last run's assessment is dropped first, as intake drops each batch's
        assessment, engine_seconds = _timed(assess_frame, frame, declarations, reference)
        if run == 0:  # the first run maps its memory fresh from the kernel; the later ones reuse it
            peak, first = _peak_rss_mb(), (frame_seconds, engine_seconds)
        else:
            frame_runs.append(frame_seconds)
            engine_runs.append(engine_seconds)
            object_runs.append(_timed(build_line_frame, declarations)[1])
        del frame
    frame_wall, frame_cpu = _medians(frame_runs)
    objects_wall, objects_cpu = _medians(object_runs)
    engine_wall, engine_cpu = _medians(engine_runs)

    sample = []
    sampled_lines = 0
    for declaration in declarations:
        if sampled_lines >= args.oracle_lines:
            break
        sample.append(declaration)
        sampled_lines += len(declaration.lines)
    started = time.perf_counter()
    oracle = [assess_declaration_decimal(declaration, reference) for declaration in sample]
    oracle_seconds = time.perf_counter() - started
    for index, expected in enumerate(oracle):
        rows = assessment.line_rows(index)
        got = [{name: int(getattr(row, name)) for name in AMOUNTS} for row in rows.itertuples()]
        if got != [{name: to_cents(line[name]) for name in AMOUNTS} for line in expected["lines"]]:
            raise SystemExit(f"engine and oracle disagree on declaration {index}")

    lines = len(assessment.lines)
    engine_rate = lines / engine_wall
    total_rate = lines / (frame_wall + engine_wall)
    oracle_rate = sampled_lines / oracle_seconds
    warnings = sum(len(w) for w in assessment.warnings)
    print(f"load average    {' '.join(f'{load:.2f}' for load in os.getloadavg())} on {os.cpu_count()} cores; "
          f"medians of {args.repeat} runs (wall, and this process's CPU time)")
    print(f"first run       frame build {first[0][0]:.2f} s, engine {first[1][0]:.2f} s "
          f"(CPU {first[0][1]:.2f} s and {first[1][1]:.2f} s): the process's memory mapped fresh by the kernel")
    print(f"frame build     {frame_wall:8.2f} s   {lines / frame_wall:12,.0f} lines/s   "
          f"(CPU {lines / frame_cpu:12,.0f} lines/s; target >= 1,000,000): from the readers' records")
    print(f"  from objects  {objects_wall:8.2f} s   {lines / objects_wall:12,.0f} lines/s   "
          f"(CPU {lines / objects_cpu:12,.0f} lines/s): build_line_frame, for comparison")
    print(f"engine          {engine_wall:8.2f} s   {engine_rate:12,.0f} lines/s   "
          f"(CPU {lines / engine_cpu:12,.0f} lines/s; target >= 2,000,000)")
    print(f"frame + engine  {frame_wall + engine_wall:8.2f} s   {total_rate:12,.0f} lines/s")
    print(f"Decimal oracle  {oracle_seconds:8.2f} s   {oracle_rate:12,.0f} lines/s   on {sampled_lines:,} lines "
          f"(agrees with the engine)")
    print(f"engine / oracle {engine_rate / oracle_rate:8.1f} x   (frame + engine: {total_rate / oracle_rate:.1f} x; target >= 50)")
    scope = "during frame build + engine" if resettable else "of the whole process"
    print(f"peak memory     {peak:8.0f} MB {scope} (process before: {baseline:.0f} MB; target <= 2048)")
    print(f"warnings        {warnings:,} (W01/W03)")


if __name__ == "__main__":
    main()
