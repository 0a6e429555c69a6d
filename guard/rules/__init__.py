"""Pure rules: order facts in, reasons out. No I/O, no clock reads."""

from guard.rules.engine import RULES, Evaluation, Finding, evaluate, fact_stamp
from guard.rules.reasons import REASONS, WAIVABLE, ReasonSpec
from guard.rules.settings import DEFAULT_RULES, RulesConfig, RulesFileError, StoreRules, parse_rules

__all__ = [
    "DEFAULT_RULES",
    "Evaluation",
    "Finding",
    "REASONS",
    "RULES",
    "ReasonSpec",
    "RulesConfig",
    "RulesFileError",
    "StoreRules",
    "WAIVABLE",
    "evaluate",
    "fact_stamp",
    "parse_rules",
]
