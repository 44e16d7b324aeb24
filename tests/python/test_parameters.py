"""The shared settings are declared once (pyphotoq.core.parameters): the command line, Python's checks,
the public functions' defaults and R's help all say what the declarations say."""

import inspect
import re
from pathlib import Path

import pytest

import pyphotoq
from pyphotoq import PhotoqError
from pyphotoq.cli_parser import build_parser
from pyphotoq.core.parameters import EVALUATION, SETTINGS
from pyphotoq.r_help import R_FILE, TOPICS, r_source

ROOT = Path(__file__).resolve().parents[2]

#: Arguments that share a name with a declared setting but are another setting, with why.
OTHERS = {
    ("Splitting", "burst_seconds"): "the split's gap between the shots of one scene, by split method",
    ("splitting", "burst_seconds"): "the same, on R's help page of splitting()",
    ("score_photos", "batch_size"): "photos scored at once, not a training batch",
    ("training_batches", "batch_size"): "the original's batch, for the batch stream alone",
    ("ordered_batches", "batch_size"): "photos read at once",
    ("training_batches", "seed"): "the batch stream's own seed",
    ("make_demo_photos", "seed"): "the demo photos' seed",
    ("build_model", "seed"): "the weights' seed, None for none",
    ("training_batches", "split"): "not a setting",
}
#: Command-line options whose command gives the setting another default or says it otherwise.
CLI_OWN = {("demo", "--width"): 128}
CLI_OWN_HELP = {("learn", "--batches"), ("sweep", "--batches"), ("demo", "--batches")}


def _declared(command: str, name: str):
    """The declaration a command or function uses for `name` (evaluation's words for evaluate/report)."""
    if command in ("evaluate", "report", "evaluate_model") and name in EVALUATION:
        return EVALUATION[name]
    return SETTINGS[name]


def _options():
    """(command, setting, argparse action) for every command-line option of a declared setting."""
    options = {s.option: s for s in SETTINGS.values()}
    for command, sub in build_parser().subcommands.items():
        for action in sub._actions:
            for flag in action.option_strings:
                if flag in options and not (command == "sweep" and flag == "--seeds"):
                    yield command, _declared(command, options[flag].name), action


def test_every_setting_is_an_option_somewhere_and_options_keep_their_names():
    flags = {(command, action.option_strings[0]) for command, _, action in _options()}
    assert {setting.option for _, setting, _ in _options()} == {s.option for s in SETTINGS.values()} - {
        "--quality", "--workers"}  # Python and R only
    for expected in [("score", "--keep-precision"), ("train", "--batch-size"), ("review", "--port"),
                     ("evaluate", "--threshold"), ("explain", "--keep-recall"), ("ask", "--n")]:
        assert expected in flags


@pytest.mark.parametrize("command,setting,action", list(_options()), ids=lambda x: getattr(x, "name", x)
                         if not hasattr(x, "option_strings") else x.option_strings[0])
def test_the_command_lines_defaults_ranges_and_help_are_the_declarations(command, setting, action):
    flag = action.option_strings[0]
    assert action.default == CLI_OWN.get((command, flag), setting.default)
    if setting.kind == "choice":
        assert tuple(action.choices) == setting.choices
        return
    parse = action.type
    ok = [setting.low] if not setting.low_open else [setting.low + 1e-6]
    bad = [setting.low - 1] if not setting.low_open else [setting.low]
    if setting.high is not None:
        ok.append(setting.high)
        bad.append(setting.high + 1)
    for value in ok:
        assert parse(str(int(value) if setting.kind == "whole" else value)) == value
    for value in bad:
        with pytest.raises(Exception, match="must be"):
            parse(str(int(value) if setting.kind == "whole" else value))
    if setting.kind == "whole":
        with pytest.raises(Exception, match="expected a whole number"):
            parse("1.5")
    if (command, flag) not in CLI_OWN_HELP and action.help != "==SUPPRESS==":
        words = " ".join(action.help.split())
        assert setting.help in words and setting.span() in words
        assert str(CLI_OWN.get((command, flag), setting.default_text())) in words


def test_the_score_command_says_what_score_does_by_default():
    score = build_parser().subcommands["score"]
    help_text = " ".join(score.format_help().split())
    assert "max F1" not in help_text and "default: the keep and reject lines" in help_text
    evaluate = " ".join(build_parser().subcommands["evaluate"].format_help().split())
    assert "maximising F1 on validation for the metrics, the keep and reject lines for the decisions" in evaluate


def test_only_the_commands_that_show_progress_take_no_progress():
    takes = {c for c, sub in build_parser().subcommands.items()
             if any("--no-progress" in a.option_strings for a in sub._actions)}
    assert "undo" not in takes and {"score", "cache", "train"} <= takes


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_python_refuses_an_out_of_range_value_in_one_line_naming_the_setting(name):
    setting = SETTINGS[name]
    wrong = [setting.low - 1 if not setting.low_open else setting.low] if setting.kind != "choice" else ["never"]
    if setting.high is not None:
        wrong.append(setting.high + 1)
    for value in wrong:
        with pytest.raises(PhotoqError) as error:
            setting.check(value)
        message = str(error.value)
        assert message.startswith(f"{name} must be ") and "\n" not in message and repr(value) in message


def test_the_public_functions_check_against_the_declarations_before_any_work(tmp_path):
    nowhere = tmp_path / "nowhere"
    calls = [
        (lambda: pyphotoq.Culling(keep_precision=0), r"keep_precision must be in \(0, 1\], got 0"),
        (lambda: pyphotoq.Culling(best=-1), "best must be at least 0, got -1"),
        (lambda: pyphotoq.Culling(weaker_in_burst="drop"), "weaker_in_burst must be one of review, reject, keep"),
        (lambda: pyphotoq.evaluate_model(nowhere, threshold=1.5), r"threshold must be in \[0, 1\], got 1.5"),
        (lambda: pyphotoq.report(nowhere, keep_recall=0), r"keep_recall must be in \(0, 1\], got 0"),
        (lambda: pyphotoq.build_cache(nowhere, tmp_path / "c", width=16385), "width must be at most 16384"),
        (lambda: pyphotoq.build_cache(nowhere, tmp_path / "c", quality=0), "quality must be at least 1"),
        (lambda: pyphotoq.build_cache(nowhere, tmp_path / "c", wait=-1), "wait must be at least 0"),
        (lambda: pyphotoq.ask_photos(nowhere, nowhere, n=0), "n must be at least 1, got 0"),
        (lambda: pyphotoq.review(nowhere, nowhere, port=65536), "port must be at most 65535"),
        (lambda: pyphotoq.sweep_runs(nowhere, tmp_path / "r", seeds=[2**32]), "seed must be at most 4294967295"),
    ]
    for call, words in calls:
        with pytest.raises(PhotoqError, match=words):
            call()
    assert not (tmp_path / "c").exists() and not (tmp_path / "r").exists()


def test_the_public_functions_defaults_are_the_declared_ones():
    checked = 0
    for name in pyphotoq.__all__:
        function = getattr(pyphotoq, name)
        if not callable(function):
            continue
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            continue
        for p in parameters:
            if p.name in SETTINGS and (name, p.name) not in OTHERS and p.default is not p.empty:
                assert p.default == _declared(name, p.name).default, f"{name}({p.name})"
                checked += 1
    assert checked >= 15


def test_r_help_file_is_written_from_the_declarations():
    """Fails when a declaration changed without: python -m pyphotoq.r_help --write R/parameters.R"""
    assert (ROOT / R_FILE).read_text() == r_source()


def _rd_items(path: Path) -> dict[str, str]:
    """\\item{name}{text} of an Rd file's arguments, the text with markup and spacing removed."""
    text = path.read_text()
    block = text[text.find("\\arguments{"):]
    items = {}
    for match in re.finditer(r"\\item\{([^}]*)\}\{(.*?)\}\n(?=\n|\})", block, re.S):
        words = re.sub(r"\\(?:code|verb)\{((?:[^{}]|\{[^{}]*\})*)\}", r"\1", match.group(2))
        for name in match.group(1).split(","):
            items[name.strip()] = " ".join(words.split())
    return items


def _r_text(setting) -> str:
    return " ".join(setting.r_help().replace("`", "").split())


def test_r_help_pages_say_the_declared_default_and_range_of_every_shared_argument():
    pages = {path.stem: _rd_items(path) for path in (ROOT / "man").glob("*.Rd")}
    for topic, (_, _, settings) in TOPICS.items():
        assert pages[topic] == {name: _r_text(s) for name, s in settings.items()}, topic
    checked = 0
    for page, items in pages.items():
        if page in TOPICS:
            continue
        for name, text in items.items():
            if name in SETTINGS and (page, name) not in OTHERS and page != "learn_corrections":
                assert text == _r_text(_declared(page, name)), f"man/{page}.Rd: {name}"
                checked += 1
    assert checked >= 15
    assert "maximises F1" not in " ".join(pages["score_photos"].values())
