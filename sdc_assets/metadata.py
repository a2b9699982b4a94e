"""Asset metadata that reads well in the Dagster UI."""


def markdown_table(rows: list[dict]) -> str:
    """A markdown table of ``rows`` (cells cut to 80 characters), or a note that there are none."""
    if not rows:
        return "_no rows_"
    columns = list(rows[0])

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")[:80]

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
