"""Give leads stored before the list-index copies existed their copies (run once after deploying).

    TAWASUL_TABLE=... AWS_REGION=... python -m scripts.backfill_lead_index

Safe to re-run and to run while the API serves requests (see
``chalicelib.persistence.leads.write_missing_index_copies``).
"""

from __future__ import annotations

from chalicelib.persistence.leads import write_missing_index_copies


def main() -> None:
    written = write_missing_index_copies()
    print(f"wrote {written} lead index copies")  # noqa: T201  a command-line tool's one result


if __name__ == "__main__":
    main()
