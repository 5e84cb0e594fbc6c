"""Settings come from the environment and fail loudly when production values are missing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from crm_site.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "-a-long-random-production-secret",
    "ALLOWED_HOSTS": "crm.example.com",
}


def run_django(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django(["check"], {"DEBUG": "false", "ALLOWED_HOSTS": "crm.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_django(["check"], {"DEBUG": "false", "SECRET_KEY": PRODUCTION["SECRET_KEY"]})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_deploy_check_is_clean_with_production_variables():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_value_stops_start_up():
    result = run_django(["check"], {"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_env_helpers_parse_and_fail_loudly(monkeypatch):
    monkeypatch.setenv("CRM_T_BOOL", "yes")
    monkeypatch.setenv("CRM_T_INT", "42")
    monkeypatch.setenv("CRM_T_LIST", "a.example, b.example ,")
    monkeypatch.setenv("CRM_T_CHOICE", "fa")
    assert env_bool("CRM_T_BOOL", False) is True
    assert env_int("CRM_T_INT", 0) == 42
    assert env_list("CRM_T_LIST", []) == ["a.example", "b.example"]
    assert env_choice("CRM_T_CHOICE", "en", {"en", "fa"}) == "fa"
    assert env_str("CRM_T_MISSING", "default") == "default"

    monkeypatch.setenv("CRM_T_INT", "forty-two")
    with pytest.raises(ImproperlyConfigured, match="CRM_T_INT must be an integer"):
        env_int("CRM_T_INT", 0)
    monkeypatch.setenv("CRM_T_CHOICE", "de")
    with pytest.raises(ImproperlyConfigured, match="must be one of"):
        env_choice("CRM_T_CHOICE", "en", {"en", "fa"})
    with pytest.raises(ImproperlyConfigured, match="CRM_T_REQUIRED is required"):
        env_str("CRM_T_REQUIRED")


def test_kavenegar_without_credentials_stops_start_up():
    result = run_django(["check"], {"SMS_BACKEND": "kavenegar"})
    assert result.returncode != 0
    assert "SMS_API_KEY and SMS_SENDER are required" in result.stderr
