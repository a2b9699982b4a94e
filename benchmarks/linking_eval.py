"""Linking on a labelled set: precision, recall per kind of evidence, false links on sessions of no customer.

    python benchmarks/linking_eval.py [SET] [--threshold 0.9] [--margin 0.06] [--wrong]

SET defaults to the project's own set, sdc_tests/enrichment/linking_set/; its layout is described in
sdc_assets/cli/linking_eval.py. The sessions are built from the set's files by the same parsers a run uses.
"""

import argparse
import sys
from pathlib import Path

from sdc_assets.cli.linking_eval import evaluate

OWN_SET = Path(__file__).resolve().parents[1] / "sdc_tests" / "enrichment" / "linking_set"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", nargs="?", type=Path, default=OWN_SET)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--margin", type=float, default=0.06)
    parser.add_argument("--wrong", action="store_true", help="list every session linked wrongly or not at all")
    args = parser.parse_args()
    report = evaluate(args.set, args.threshold, args.margin)
    total = len(report.outcomes)
    positives = sum(1 for o in report.outcomes if o.label.customer_id)
    print(f"{args.set}: {total} sessions, {positives} with a customer, {total - positives} without")
    print(f"precision {report.precision:.3f}  recall {report.recall():.3f}  false links {report.false_links()}")
    print()
    print(f"{'evidence':<32}{'sessions':>9}{'recall':>8}{'false links':>13}")
    for kind, count in sorted(report.kinds().items()):
        has_customer = any(o.label.customer_id for o in report.outcomes if o.label.evidence == kind)
        recall = f"{report.recall(kind):.2f}" if has_customer else "-"
        print(f"{kind:<32}{count:>9}{recall:>8}{report.false_links(kind):>13}")
    for line in report.unmatched:
        print(f"label without exactly one session: {line}", file=sys.stderr)
    if args.wrong:
        print()
        print("\n".join(report.wrong()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
