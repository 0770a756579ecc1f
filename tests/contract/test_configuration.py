"""The configuration contract, driven through every installed adapter the same way.

Each option of the package's one table reaches the core as set through the adapter's own
settings, and a bad value is refused naming that setting (Django's ``RELAYBOX[key]`` with
the option's check id, Flask's ``RELAYBOX_<key>``, Starlette's and FastAPI's keyword). A new
row in the table without a sample fails :func:`test_every_option_has_samples`.

And the API secret stays hidden whatever users see: a malformed key's errors, checks and
debug pages, a bad option's, a short-secret warning turned into an error, the DEBUG log of
a token issue, the ``repr()`` of every object, and the debug page of a hook or a view that
fails with the adapter's objects in its local variables.
"""

from __future__ import annotations

import logging
import warnings

import pytest

from relaybox_integrations import ShortSecretWarning
from relaybox_integrations.config import OPTIONS, Option, option_named
from tests.hygiene.conftest import (
    MALFORMED_KEYS,
    assert_no_secret,
    assert_token_issue_logged_safely,
)

from .configuration import SAMPLES, SHORT_SECRET, Configuration
from .conftest import CONFIGURATIONS, with_database

OPTION_IDS = [option.name for option in OPTIONS]


def test_every_option_has_samples() -> None:
    assert set(SAMPLES) == {option.name for option in OPTIONS}


@pytest.mark.parametrize("option", OPTIONS, ids=OPTION_IDS)
def test_each_option_reaches_the_core(configuration: Configuration, option: Option) -> None:
    sample = SAMPLES[option.name]
    built = configuration.build(option, sample.good)
    assert sample.seen(built) == sample.expected


@pytest.mark.parametrize("option", OPTIONS, ids=OPTION_IDS)
def test_a_bad_value_is_refused_naming_the_adapters_setting(
    configuration: Configuration, option: Option
) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - each adapter's own type
        configuration.build(option, SAMPLES[option.name].bad)
    configuration.assert_names(raised.value, option)
    assert "s" * 40 not in str(raised.value)  # the sample key's secret never shows


def test_a_bad_option_is_named_where_users_see_it_without_the_secret(
    configuration: Configuration,
) -> None:
    assert_no_secret(*configuration.bad_option(option_named("expires_in"), 5))


@pytest.mark.parametrize("key", list(MALFORMED_KEYS.values()), ids=list(MALFORMED_KEYS))
def test_a_malformed_key_is_named_and_never_shown(configuration: Configuration, key: str) -> None:
    assert_no_secret(*configuration.malformed_key(key))


def test_a_short_secret_warning_raised_as_an_error_hides_the_secret(
    configuration: Configuration,
) -> None:
    """``python -W error`` (or pytest's ``filterwarnings = error``) turns the warning into an
    exception raised while the key is a local variable."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShortSecretWarning)
        texts = configuration.short_secret_as_error(f"testapp.testkey:{SHORT_SECRET}")
    assert texts
    assert all(SHORT_SECRET not in text for text in texts), "the short secret is shown"


def test_the_debug_log_of_a_token_issue_holds_neither_secret_nor_token(
    configuration: Configuration, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = configuration.issue_token()
    assert_token_issue_logged_safely(caplog.text, token)


def test_reprs_hide_the_secret(configuration: Configuration) -> None:
    values = configuration.public_objects()
    for value in values:
        assert_no_secret(repr(value), str(value))
    assert any("testapp.testkey" in repr(value) for value in values)  # the public key shows


HOOKS = [
    with_database(subject, hook, id=f"{subject.name}-{hook}")
    for subject in CONFIGURATIONS
    for hook in subject.hooks
]


@pytest.mark.parametrize(("subject", "hook"), HOOKS)
def test_a_failing_hooks_debug_page_hides_the_secret(subject: Configuration, hook: str) -> None:
    assert_no_secret(*subject.failing_hook_pages(hook))


def test_a_failing_views_debug_page_shows_the_objects_not_the_secret(
    configuration: Configuration,
) -> None:
    pages, shown = configuration.failing_view_pages()
    assert all(shown in page for page in pages)
    assert_no_secret(*pages)
