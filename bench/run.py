"""`make bench`: every benchmark in one run, each against a baseline measured in the same run."""

import argparse
import os
from pathlib import Path

from bench.close_bench import close_over_million_lines
from bench.flash_sale_bench import flash_sale
from bench.harness import Result, fresh_database, report
from bench.inbox_bench import inbox_list
from bench.ledger_bench import bulk_posting_throughput, posting_throughput
from bench.order_bench import order_throughput
from bench.replenishment_bench import replenishment_plan
from bench.stock_bench import reservations, stock_ledger_inserts


def main() -> None:
    """Run the benchmarks and write bench/results/latest.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--no-flash", action="store_true", help="skip the flash sale (its own processes)")
    args = parser.parse_args()
    results: list[Result] = []
    with fresh_database() as (url, engine):
        os.environ["DATABASE_URL"] = url  # the API under test reads it through the settings
        results.append(posting_throughput(engine, entries=300 if args.quick else 2000))
        results.append(bulk_posting_throughput(engine, entries=2_500 if args.quick else 25_000))
        results.extend(order_throughput(engine, orders=40 if args.quick else 200))
        results.append(reservations(engine, attempts=500 if args.quick else 4000))
        results.append(stock_ledger_inserts(engine, rows=1000 if args.quick else 5000))
        results.append(inbox_list(engine, open_tasks=10_000, samples=30 if args.quick else 200))
        results.extend(close_over_million_lines(engine, lines=100_000 if args.quick else 1_000_000))
        results.append(replenishment_plan(engine, item_locations=10_000 if args.quick else 100_000))
    if not args.no_flash:
        # Real API and worker processes on their own PostgreSQL and Temporal server.
        results.extend(flash_sale((30,) if args.quick else (100, 300), scale_out=30 if args.quick else 300))
    report(results, Path(__file__).parent / "results" / "latest.json")


if __name__ == "__main__":
    main()
