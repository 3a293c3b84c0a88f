"""`make rebuild-reports ORG=<org>`: rebuild an organisation's report counters from the source
items (the same function the `rebuild_reports` Lambda runs). Prints what changed as JSON."""

from __future__ import annotations

import argparse
import json

from chalicelib.services.report_rebuild import rebuild_reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("org_ids", nargs="+", help="organisation ids to rebuild")
    for org_id in parser.parse_args().org_ids:
        print(json.dumps(rebuild_reports(org_id), ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
