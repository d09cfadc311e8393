"""`make bench-scale`: the scale figures of issue 20 (inbox at 100,000 open tasks, replenishment over
1,000,000 item-locations, the flash sales with 1 and 2 workers); slow, so apart from `make bench`."""

import argparse
import os
from pathlib import Path

from bench.flash_sale_bench import flash_sale
from bench.harness import Result, fresh_database, report
from bench.inbox_bench import inbox_list
from bench.replenishment_bench import replenishment_plan


def main() -> None:
    """Run the scale benchmarks and write bench/results/scale.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--item-locations", type=int, default=1_000_000)
    parser.add_argument("--history-days", type=int, default=100, help="days of sales history loaded")
    parser.add_argument("--no-flash", action="store_true", help="skip the flash sales")
    args = parser.parse_args()
    results: list[Result] = []
    with fresh_database() as (url, engine):
        os.environ["DATABASE_URL"] = url  # the API under test reads it through the settings
        results.append(inbox_list(engine, open_tasks=100_000, samples=300, p=99))
        results.append(replenishment_plan(engine, item_locations=args.item_locations, days=args.history_days))
    if not args.no_flash:
        results.extend(flash_sale((100, 300), scale_out=300))
    report(results, Path(__file__).parent / "results" / "scale.json")


if __name__ == "__main__":
    main()
