"""Python's docstrings and R's help say the same default: wherever a public function's docstring
states an argument's default ("`out` (default RUN/explain)", "The file defaults to ...",
"`progress` ... (None: only on a terminal)") and its R help page states one too ("default `0.9`",
"`NULL` (the default): ...", "`NULL` for ...", "or `NULL` (...)"), the two agree.

The shared settings' help is written from their declarations (test_parameters.py checks that);
this test reads what people wrote by hand on both sides."""

import inspect
import re
from pathlib import Path

import pytest

import pyphotoq
from test_parameters import _rd_items

ROOT = Path(__file__).resolve().parents[2]

#: How a docstring states a default, in the sentence that names the argument: "(default X)",
#: "`arg`, default X)", "defaults to X", and, for an argument whose default is None, "(None: X)" or
#: "None for X".
PYTHON_STATEMENTS = [r"[(,] ?default:? (?P<v>[^)]*)\)", r"\bdefaults to (?P<v>.*)$"]
PYTHON_NONE_STATEMENTS = [r"\(None: (?P<v>[^)]*)\)", r"\bNone for (?P<v>[^,;)]*)"]
#: How R's help states one (the Rd text with its markup removed).
R_STATEMENTS = [r"\bNULL \(the default\):? (?P<v>.*?)(?:\.\s|\.?$)", r"\bor NULL \((?P<v>[^)]*)\)",
                r"\(NULL: (?P<v>[^;)]*)", r"\bNULL:? (?:for )?(?P<v>.*?)(?:\.\s|\.?$)",
                r"(?:^|; )default (?P<v>[^;]*?)\.?$", r'^(?P<v>"[^"]*") \(the default\b']
#: What a stated default is, when it names one: a quoted string, a run folder's file, a number,
#: TRUE or FALSE; else the statement is compared in its words.
LITERAL = re.compile(r'"[^"]*"|\bRUN/(?:<[^>]*>|[^\s<,;)])+|(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])|\b(?:TRUE|FALSE|True|False)\b')
#: Words that do not change what a default is.
FILLER = {"the", "a", "an", "its"}


def _pages() -> dict:
    """(Python name, R help page) of every public function that has one (a settings class's page
    is its R constructor's: Culling, culling.Rd)."""
    pages = {}
    for name in pyphotoq.__all__:
        page = ROOT / "man" / f"{name.lower() if isinstance(getattr(pyphotoq, name), type) else name}.Rd"
        if page.exists() and callable(getattr(pyphotoq, name)):
            pages[name] = page
    return pages


def _sentences(doc: str) -> list[str]:
    """The docstring's sentences, with their spacing made single; a table of arguments (a line
    each: "name   what it is") as one sentence a line, "`name` what it is"."""
    parts = []
    for paragraph in re.split(r"\n\s*\n", doc):
        if re.match(r"\w+\s{2,}\S", paragraph):  # a line that starts with spaces goes on the one above
            rows = re.split(r"\n(?=\S)", paragraph)
            parts += [re.sub(r"^(\w+)\s{2,}", r"`\1` ", row) for row in rows]
        else:
            parts += re.split(r"(?<=\.)\s+(?=[A-Z`])", " ".join(paragraph.split()))
    return [" ".join(part.split()) for part in parts]


def python_defaults(function) -> dict[str, str]:
    """{argument: what its docstring says its default is}, for the arguments whose docstring says."""
    parameters = inspect.signature(function).parameters
    found = {}
    for sentence in _sentences(inspect.getdoc(function) or ""):
        for name, parameter in parameters.items():
            mention = re.search(rf"`{name}`|\b[Tt]he {name} (?=defaults)", sentence)
            if not mention or name in found:
                continue
            rest = sentence[mention.end():]
            other = re.search(r"`(\w+)`", rest)  # up to the next argument named
            if other and other.group(1) in parameters:
                rest = rest[:other.start()]
            statements = PYTHON_STATEMENTS + (PYTHON_NONE_STATEMENTS if parameter.default is None else [])
            stated = _first_stated(statements, rest)
            if stated is not None:
                found[name] = stated
    return found


def _first_stated(patterns, text: str) -> str | None:
    """The default the first matching pattern reads from `text` (its group "v"), or None."""
    for pattern in patterns:
        stated = re.search(pattern, text)
        if stated:
            return stated.group("v")
    return None


def r_defaults(page: Path) -> dict[str, str]:
    """{argument: what its R help says its default is}, for the arguments whose help says."""
    found = {}
    for name, text in _rd_items(page).items():
        stated = _first_stated(R_STATEMENTS, text)
        if stated is not None:
            found[name] = stated
    return found


def claim(statement: str) -> str:
    """What a stated default comes to: its literal ("two-view", RUN/explain, 0.9, true), else its
    words in lower case without fillers. "X/ in the run folder" is RUN/X."""
    text = " ".join(statement.split()).strip(" .;,")
    text = re.sub(r"^(\S+?)/? in the run folder$", r"RUN/\1", text)
    literal = LITERAL.search(text)
    if literal:
        return literal.group(0).strip('"').rstrip("/.)").replace("True", "TRUE").replace("False", "FALSE")
    return " ".join(word for word in re.findall(r"[\w'<>/.-]+", text.lower()) if word not in FILLER)


def _stated_pairs() -> list[tuple[str, str, str, str]]:
    """(function, argument, what Python says, what R says) wherever both state the default."""
    pairs = []
    for name, page in _pages().items():
        python, r = python_defaults(getattr(pyphotoq, name)), r_defaults(page)
        pairs += [(name, argument, python[argument], r[argument]) for argument in sorted(set(python) & set(r))]
    return pairs


def test_the_statements_are_read_as_meant():
    assert claim('"two-view": a GAP CNN with batch normalisation') == "two-view"
    assert claim("explain/ in the run folder") == claim("RUN/explain") == "RUN/explain"
    assert claim("report/report-<split>-<checkpoint>.html in the run folder") == \
        "RUN/report/report-<split>-<checkpoint>.html"
    assert claim("`0.9`") == "0.9" and claim("TRUE") == claim("True") == "TRUE"
    assert claim("the keep and reject lines") == "keep and reject lines" != claim("the lines")
    assert python_defaults(pyphotoq.explain_photos)["out"] == "RUN/explain"
    assert r_defaults(ROOT / "man" / "culling.Rd")["keep_precision"] == "0.9"
    assert r_defaults(ROOT / "man" / "score_photos.Rd")["progress"] == "only on a terminal"


def test_python_docstrings_and_r_help_state_the_same_defaults():
    pairs = _stated_pairs()
    compared = {(function, argument) for function, argument, _, _ in pairs}
    # the statements found on both sides (a pattern that stops matching shows here)
    assert {("explain_photos", "out"), ("report", "file"), ("review", "table"), ("Culling", "threshold"),
            ("Culling", "keep_recall"), ("learn_corrections", "batches"), ("train_model", "recipe"),
            ("build_model", "recipe"), ("build_cache", "progress"), ("score_photos", "culling")} <= compared
    disagree = [f"{function}({argument}): Python says {python!r}, R says {r!r}"
                for function, argument, python, r in pairs if claim(python) != claim(r)]
    assert disagree == []


@pytest.mark.parametrize("python,r", [
    ("(None: the threshold maximising F1)", "NULL (the default): the keep and reject lines."),
    ("(default RUN/explain)", "Folder for the overlays, or NULL for maps/ in the run folder."),
    ("(None: the default recipe, \"two-view\")", "NULL for the default (\"two-branch\": ...)."),
])
def test_a_disagreement_is_seen(python, r):
    stated_python = next(re.search(p, python) for p in PYTHON_STATEMENTS + PYTHON_NONE_STATEMENTS
                         if re.search(p, python)).group("v")
    stated_r = next(re.search(p, r) for p in R_STATEMENTS if re.search(p, r)).group("v")
    assert claim(stated_python) != claim(stated_r)
