"""The rule tables are the one place a rule is registered: everything else derives from them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from gpulab.qa.lint import rules
from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules import FILE_RULES, GROUPS, NOTEBOOK_RULES


def rule_classes_in(package_name: str) -> set[type[Rule]]:
    """The Rule subclasses defined in the modules of one group package."""
    package = importlib.import_module(package_name)
    found: set[type[Rule]] = set()
    for module_info in pkgutil.iter_modules(package.__path__, f"{package_name}."):
        module = importlib.import_module(module_info.name)
        found |= {
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, Rule)
            and value is not Rule
            and value.__module__ == module.__name__
        }
    return found


SUBPACKAGES = [
    importlib.import_module(info.name)
    for info in pkgutil.iter_modules(rules.__path__, f"{rules.__name__}.")
    if info.ispkg
]
# Code prefix -> the group package whose RULES table the registry lists under it.
PACKAGE_OF = {
    prefix: next((p for p in SUBPACKAGES if p.RULES is table), None)
    for prefix, table in GROUPS.items()
}


def test_every_group_package_is_one_table_of_the_registry():
    assert None not in PACKAGE_OF.values(), "a table in GROUPS is no group package's RULES"
    listed = sorted(package.__name__ for package in PACKAGE_OF.values())
    assert listed == sorted(package.__name__ for package in SUBPACKAGES)


@pytest.mark.parametrize("prefix", sorted(GROUPS))
def test_table_keys_are_the_rules_own_codes_in_the_groups_range(prefix):
    for code, rule in GROUPS[prefix].items():
        assert rule.code == code, f"{rule.__name__} is {rule.code}, listed as {code}"
        assert code.startswith(prefix), f"{code} listed under {prefix}xx"


@pytest.mark.parametrize("prefix", sorted(GROUPS))
def test_every_rule_module_of_a_group_is_in_its_table(prefix):
    package = PACKAGE_OF[prefix]
    assert package is not None
    assert rule_classes_in(package.__name__) == set(GROUPS[prefix].values())


def test_file_and_notebook_rules_are_the_tables_in_code_order():
    file_codes = [rule.code for rule in FILE_RULES]
    notebook_codes = [rule.code for rule in NOTEBOOK_RULES]
    assert file_codes == sorted(GROUPS["GL0"])
    assert notebook_codes == sorted(
        code for prefix, table in GROUPS.items() if prefix != "GL0" for code in table
    )
