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
    ],
)
def test_malformed_keys_are_configuration_errors(value: object, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(expected)) as excinfo:
        ApiKey(value)
    assert excinfo.value.setting == "api_key"
    assert SECRET not in str(excinfo.value)


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
