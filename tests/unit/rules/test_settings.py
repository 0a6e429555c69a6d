"""Per-store rule settings (GUARD_RULES_FILE): tune timers, switch off only what may be waived."""

from datetime import timedelta

import pytest

from guard.rules import DEFAULT_RULES, REASONS, WAIVABLE, RulesFileError, parse_rules


def test_empty_file_keeps_the_shipped_defaults():
    config = parse_rules("")
    assert dict(config.defaults.specs) == REASONS
    assert config.defaults.disabled == frozenset()
    assert config.for_store("shop-42") == config.defaults


def test_shipped_defaults_disable_nothing():
    assert DEFAULT_RULES.for_store("any-store").disabled == frozenset()


def test_store_tunes_recheck_minutes_and_escalate_after_hours():
    config = parse_rules(
        """
        [stores."shop-42".PAYMENT_PROCESSING]
        recheck_minutes = 20
        escalate_after_hours = 4
        """
    )
    tuned = config.for_store("shop-42").specs["PAYMENT_PROCESSING"]
    assert tuned.recheck_after == timedelta(minutes=20)
    assert tuned.escalate_after == timedelta(hours=4)
    untouched = config.for_store("shop-7").specs["PAYMENT_PROCESSING"]
    assert untouched == REASONS["PAYMENT_PROCESSING"]


def test_fractional_numbers_are_accepted():
    config = parse_rules("[defaults.TRACKING_NUMBER_PENDING]\nrecheck_minutes = 2.5\n")
    assert config.defaults.specs["TRACKING_NUMBER_PENDING"].recheck_after == timedelta(seconds=150)


def test_tuning_keeps_the_reasons_verdict_and_waivability():
    config = parse_rules("[defaults.RISK_REVIEW]\nrecheck_minutes = 5\n")
    spec = config.defaults.specs["RISK_REVIEW"]
    assert (spec.verdict, spec.waivable, spec.fact_type) == ("hold", False, "risk")


def test_escalate_after_rechecks_is_tunable():
    config = parse_rules("[defaults.FREIGHT_UNPAID]\nescalate_after_rechecks = 5\n")
    assert config.defaults.specs["FREIGHT_UNPAID"].escalate_after_rechecks == 5


def test_store_tables_inherit_the_files_defaults():
    config = parse_rules(
        """
        [defaults.FREIGHT_UNPAID]
        recheck_minutes = 15

        [defaults.CANCEL_REQUESTED]
        enabled = false

        [stores."shop-42".PAYMENT_PROCESSING]
        recheck_minutes = 20
        """
    )
    store = config.for_store("shop-42")
    assert store.specs["FREIGHT_UNPAID"].recheck_after == timedelta(minutes=15)
    assert store.specs["PAYMENT_PROCESSING"].recheck_after == timedelta(minutes=20)
    assert "CANCEL_REQUESTED" in store.disabled
    # A store the file does not name gets the file's defaults, not the shipped ones.
    assert config.for_store("shop-7").specs["FREIGHT_UNPAID"].recheck_after == timedelta(minutes=15)


def test_store_overrides_the_files_defaults():
    config = parse_rules(
        """
        [defaults.FREIGHT_UNPAID]
        recheck_minutes = 15
        enabled = false

        [stores."shop-42".FREIGHT_UNPAID]
        recheck_minutes = 30
        enabled = true
        """
    )
    store = config.for_store("shop-42")
    assert store.specs["FREIGHT_UNPAID"].recheck_after == timedelta(minutes=30)
    assert "FREIGHT_UNPAID" not in store.disabled
    assert "FREIGHT_UNPAID" in config.defaults.disabled


@pytest.mark.parametrize("code", sorted(WAIVABLE))
def test_disabling_a_waivable_rule_works(code):
    config = parse_rules(f'[stores."shop-42".{code}]\nenabled = false\n')
    assert code in config.for_store("shop-42").disabled
    assert code not in config.defaults.disabled


@pytest.mark.parametrize("code", sorted(set(REASONS) - WAIVABLE))
@pytest.mark.parametrize("table", ["defaults", 'stores."shop-42"'])
def test_disabling_a_non_waivable_rule_is_refused(code, table):
    with pytest.raises(RulesFileError, match="not waivable"):
        parse_rules(f"[{table}.{code}]\nenabled = false\n")


def test_a_non_waivable_rule_may_still_be_tuned_and_left_on():
    config = parse_rules("[defaults.RISK_REVIEW]\nenabled = true\nrecheck_minutes = 10\n")
    assert config.defaults.disabled == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[defaults.NOT_A_CODE]\nrecheck_minutes = 5\n", id="unknown code in defaults"),
        pytest.param('[stores."shop-42".PAYMENT_PENDING]\nenabled = false\n', id="unknown code in a store"),
        pytest.param("[defaults.FREIGHT_UNPAID]\nrecheck_mins = 5\n", id="unknown key"),
        pytest.param("[defaults.FREIGHT_UNPAID]\nwaivable = false\n", id="unknown key that sounds safe"),
        pytest.param("[overrides.FREIGHT_UNPAID]\nenabled = false\n", id="unknown top-level table"),
        pytest.param("[defaults\nFREIGHT_UNPAID = 1\n", id="bad TOML"),
        pytest.param("defaults = 3\n", id="defaults not a table"),
        pytest.param("stores = 3\n", id="stores not a table"),
        pytest.param('[stores]\n"shop-42" = 3\n', id="store not a table"),
        pytest.param("[defaults]\nFREIGHT_UNPAID = 10\n", id="code not a table"),
        pytest.param('[defaults.FREIGHT_UNPAID]\nenabled = "no"\n', id="enabled not a boolean"),
    ],
)
def test_malformed_file_is_refused(text):
    with pytest.raises(RulesFileError):
        parse_rules(text)


@pytest.mark.parametrize("key", ["recheck_minutes", "escalate_after_hours"])
@pytest.mark.parametrize("value", ["0", "-5", "0.0", "nan", "inf", "-inf", "true", '"10"', "1e300"])
def test_non_positive_or_absurd_durations_are_refused(key, value):
    with pytest.raises(RulesFileError):
        parse_rules(f"[defaults.PAYMENT_PROCESSING]\n{key} = {value}\n")


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "true"])
def test_escalate_after_rechecks_must_be_a_whole_number_of_at_least_one(value):
    with pytest.raises(RulesFileError):
        parse_rules(f"[defaults.FREIGHT_UNPAID]\nescalate_after_rechecks = {value}\n")


def test_error_names_where_the_problem_is():
    with pytest.raises(RulesFileError, match=r"stores\.shop-42\.FREIGHT_UNPAID"):
        parse_rules('[stores."shop-42".FREIGHT_UNPAID]\nrecheck_minutes = -1\n')
