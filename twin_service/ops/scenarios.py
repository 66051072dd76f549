"""``accesstwin scenarios check``: validate every packaged scenario and its translations.

Prints one line per problem, ``file: key: what is wrong`` (e.g.
``i18n/ar/vitals.yaml: steps.act.choices.recheck.explain: missing``), and exits 1 when
there is any; otherwise one line saying what was checked, and exit 0.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built for every command; PyYAML only for this one
    from accessibility.scenario_i18n import Problem


def add_scenarios_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenarios = commands.add_parser("scenarios", help="check the scenario files")
    actions = scenarios.add_subparsers(dest="scenarios_command", required=True)
    actions.add_parser(
        "check",
        help="validate every scenario and report each missing or wrong translation"
        " with its file and key",
    )


def scenario_problems() -> list[Problem]:
    from accessibility.scenario import ScenarioError, load_scenario, scenario_ids
    from accessibility.scenario_i18n import Problem, check_translations

    problems: list[Problem] = []
    for scenario_id in scenario_ids():
        try:
            load_scenario(scenario_id)
        except ScenarioError as exc:
            problems.append(Problem(exc.source, exc.field, str(exc).split(": ", 2)[-1]))
    return problems + check_translations()


def run_scenarios_command(args: argparse.Namespace) -> int:
    del args  # only "check" for now
    from accessibility.languages import DEFAULT_LANGUAGE, SUPPORTED
    from accessibility.scenario import scenario_ids

    problems = scenario_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"accesstwin scenarios check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    others = [lang for lang in SUPPORTED if lang != DEFAULT_LANGUAGE]
    print(
        f"accesstwin scenarios check: {len(scenario_ids())} scenarios"
        f" ({', '.join(scenario_ids())}), each complete in {', '.join(others)}"
    )
    return 0
