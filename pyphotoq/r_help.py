"""R's help for the arguments that R, Python and the command line share, written from their
declarations (pyphotoq.core.parameters) into R/parameters.R: one documented internal object per topic,
whose @param entries R's functions take with @inheritParams. Then roxygen2 writes man/.

    python -m pyphotoq.r_help --write R/parameters.R      # after changing a declaration
    python -m pyphotoq.r_help --check R/parameters.R      # exit 1 when the file is stale

Why generated: a default or range written by hand in R's help drifts from the code that checks it.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from .core.parameters import EVALUATION, SETTINGS

#: R's documented objects: topic -> (title, description, its settings).
TOPICS = {
    "photoq_parameters": (
        "Settings shared by R, Python and the command line",
        "The arguments that several photoq functions share, with their ranges and defaults. Python "
        "checks every value and a wrong one is one line naming the setting.",
        SETTINGS),
    "photoq_evaluation_parameters": (
        "Settings of evaluate_model() and report()",
        "How evaluate_model() and report() choose the threshold of their metrics and decisions.",
        EVALUATION),
}

#: Where the R package keeps it, from the repository root.
R_FILE = "R/parameters.R"


def r_source() -> str:
    """The text of R/parameters.R."""
    lines = [
        "# The help of the arguments that R, Python and the command line share, written from the",
        "# declarations in pyphotoq/core/parameters.py by `python -m pyphotoq.r_help --write R/parameters.R`.",
        "# Change the declarations, not this file: a test fails when it differs from them.",
    ]
    for topic, (title, description, settings) in TOPICS.items():
        lines += ["", f"#' {title}", "#'"]
        lines += _wrap(description, "#' ", "#' ")
        lines.append("#'")
        for setting in settings.values():
            lines += _wrap(f"@param {setting.name} {setting.r_help()}", "#' ", "#'   ")
        lines += [f"#' @name {topic}", "#' @keywords internal", "NULL"]
    return "\n".join(lines) + "\n"


def _wrap(text: str, first: str, rest: str, width: int = 100) -> list[str]:
    """Lines of at most `width`, never broken inside `code`."""
    import re

    glued = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.wrap(glued, width=width, initial_indent=first, subsequent_indent=rest,
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace("\0", " ") for line in lines]


def main(argv: list[str] | None = None) -> int:
    """--write FILE writes the file; --check FILE exits 1 when FILE differs; neither prints it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m pyphotoq.r_help", description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="FILE")
    parser.add_argument("--check", metavar="FILE")
    args = parser.parse_args(argv)
    text = r_source()
    if args.write:
        from .core.files import write_atomic

        write_atomic(Path(args.write), text)
    if args.check and (not Path(args.check).is_file() or Path(args.check).read_text() != text):
        print(f"{args.check} differs from pyphotoq/core/parameters.py: run python -m pyphotoq.r_help --write "
              f"{args.check}", file=sys.stderr)
        return 1
    if not (args.write or args.check):
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
