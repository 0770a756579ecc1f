"""Parsing the API key: every malformed shape is a configuration error that hides the secret."""

from __future__ import annotations

import pickle
import re

import pytest

from relaybox_integrations import ApiKey, ConfigurationError, RelayBox

SECRET = "a-long-enough-secret-for-hs256-keys-000000"


def test_parses_public_key_parts_and_secret() -> None:
    key = ApiKey(f"myapp.key1:{SECRET}")
    assert (key.public_key, key.app_pid, key.key_id, key.secret) == (
        "myapp.key1",
        "myapp",
        "key1",
        SECRET,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "is empty"),
        (None, "is a NoneType"),
        (b"app.key:secret", "is a bytes"),
        (f"app.key{SECRET}", "has 0 ':' characters"),
        (f"app.key:{SECRET}:extra", "has 2 ':' characters"),
        (f"appkey:{SECRET}", "public part (before ':') must be '<appPid>.<keyId>'"),
        (f"{SECRET}:app.key", "are the two halves of the key swapped?"),
        (f'"app.key:{SECRET}"', "wrapped in quotes"),
        (f"'app.key:{SECRET}'", "wrapped in quotes"),
        (f"a.b.c:{SECRET}", "public part (before ':') must be '<appPid>.<keyId>'"),
        (f".key:{SECRET}", "public part (before ':') must be '<appPid>.<keyId>'"),
        ("app.key:", "empty secret"),
        (f"app.key:{SECRET}\n", "contains whitespace"),
        (f" app.key:{SECRET}", "contains whitespace"),
        ("secretpart.with-one-dot-and-long-enough-0000:app.key", "look swapped"),
        (f"app.key:-----BEGIN{SECRET}", "PEM or SSH public key"),
        (f"app.key:ssh-rsa{SECRET}", "PEM or SSH public key"),
        (f"app.key:ssh-ed25519{SECRET}", "PEM or SSH public key"),
        (f"app.key:ecdsa-sha2-nistp256{SECRET}", "PEM or SSH public key"),
        (f"app.key:{SECRET}\udcff", "not valid UTF-8"),
        # The public key travels in the X-Ds-Public-Key header of every publish.
        (f"app\u00e9.key:{SECRET}", "cannot travel in an HTTP header"),
        (f"app\x7f.key:{SECRET}", "cannot travel in an HTTP header"),
    ],
)
def test_malformed_keys_are_configuration_errors(value: object, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(expected)) as excinfo:
        ApiKey(value)
    assert excinfo.value.setting == "api_key"
    assert SECRET not in str(excinfo.value)


@pytest.mark.parametrize(
    "value",
    [
        f"app.key:-----BEGIN{SECRET}",
        f"app.key:ssh-rsa{SECRET}",
        f"app.key:{SECRET}\udcff",
        f"{SECRET}.x:app.key",
        f"app.key:{SECRET}:x",
    ],
)
def test_no_frame_of_a_key_error_holds_the_key(value: str) -> None:
    """Debug pages (Django's, Werkzeug's) show every frame's locals: none may hold the key."""
    with pytest.raises(ConfigurationError) as excinfo:
        RelayBox(value)
    assert excinfo.value.__context__ is None or excinfo.value.__suppress_context__
    tb = excinfo.value.__traceback__.tb_next  # past this test's own frame
    while tb is not None:
        for local in tb.tb_frame.f_locals.values():
            try:
                text = repr(local)
            except AttributeError:  # the half-built object raising the error
                continue
            assert SECRET not in text
        tb = tb.tb_next


def test_a_swapped_key_whose_public_part_is_shorter_is_accepted() -> None:
    """The swap check must not refuse real keys whose secret holds one '.'."""
    assert ApiKey(f"myapp.key1:{SECRET}.part2").secret == f"{SECRET}.part2"


def test_secret_stays_out_of_repr_str_and_pickles() -> None:
    key = ApiKey(f"myapp.key1:{SECRET}")
    relaybox = RelayBox(f"myapp.key1:{SECRET}")
    for text in (repr(key), str(key), repr(relaybox), str(relaybox)):
        assert SECRET not in text
        assert "myapp.key1" in text
    for obj in (key, relaybox):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(obj)


def test_from_env_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", f"myapp.key1:{SECRET}")
    assert RelayBox.from_env().public_key == "myapp.key1"
    monkeypatch.delenv("RELAYBOX_API_KEY")
    with pytest.raises(ConfigurationError, match="RELAYBOX_API_KEY is not set"):
        RelayBox.from_env()


def test_keys_compare_by_both_halves_and_hash_by_the_public_one() -> None:
    key = ApiKey(f"myapp.key1:{SECRET}")
    assert key == ApiKey(f"myapp.key1:{SECRET}")
    assert key != ApiKey(f"myapp.key1:{SECRET}x")
    assert key != f"myapp.key1:{SECRET}"
    assert hash(key) == hash(ApiKey(f"myapp.key1:{SECRET}x"))
