"""The ``relaybox`` command, run as users run it: a real process, the key in the environment."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from relaybox_integrations import RelayBox

SECRET = "a-long-enough-secret-for-hs256-keys-000000"
API_KEY = f"myapp.key1:{SECRET}"


def run(*args: str, key: str | None = API_KEY, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RELAYBOX_API_KEY"}
    if key is not None:
        env["RELAYBOX_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "relaybox_integrations", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_token_prints_the_response_body() -> None:
    result = run(
        "token", "--client-id", "1234", "--expires-in", "300",
        "--permissions", '{"myRoom":["publish"]}',
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    claims = RelayBox(API_KEY).verify_token(body["token"])
    assert (claims["clientId"], claims["permissions"]) == ("1234", {"myRoom": ["publish"]})
    assert body["expiresIn"] == 300


def test_verify_prints_claims_and_reads_stdin() -> None:
    token = RelayBox(API_KEY).generate_token_response(client_id="9").token
    for result in (run("verify", token), run("verify", "-", stdin=token + "\n")):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["clientId"] == "9"


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("relaybox: error: ")
    assert text in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr


def test_errors_are_one_line_without_traceback() -> None:
    assert_one_line_error(run("verify", "not-a-token"), "three '.'-separated parts")
    other = RelayBox("myapp.key1:" + SECRET[::-1]).generate_token_response().token
    assert_one_line_error(run("verify", other), "signature does not match")
    assert_one_line_error(run("token", "--expires-in", "10"), "more than 20 seconds")
    assert_one_line_error(run("token", "--permissions", '{"a.b":["join"]}'), "may not contain")
    assert_one_line_error(run("token", "--permissions", "{nope"), "--permissions is not JSON")
    assert_one_line_error(run("token", key=None), "RELAYBOX_API_KEY is not set")
    assert_one_line_error(run("token", key=SECRET), "has 0 ':' characters")
    assert_one_line_error(run("token", "--expires-in", "999999999999"), "at most 86400 seconds")
    assert_one_line_error(run("token", key=f"app.key:ssh-rsa{SECRET}"), "SSH public key")
    nested = base64.urlsafe_b64encode(b"[" * 100_000).decode().rstrip("=")
    assert_one_line_error(run("verify", "-", stdin=f"{nested}.e30.AAAA"), "nested too deeply")


def test_the_key_is_never_taken_from_argv() -> None:
    result = run("token", "--api-key", API_KEY, key=None)
    assert result.returncode == 2
    assert "unrecognized arguments: --api-key" in result.stderr
