import pytest

from shared.config import ConfigError, load_config

PRODUCTION = {
    "APP_MODE": "production",
    "GOOGLE_CLOUD_PROJECT": "prod-project",
    "PUBLIC_BASE_URL": "https://sync.example.com",
    "PLATFORM_RETURN_URL": "https://app.example.com/settings/calendar",
    "APP_JWT_SECRET": "x" * 40,
    "TASKS_SERVICE_ACCOUNT": "tasks@prod-project.iam.gserviceaccount.com",
    "KMS_KEY_NAME": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
    "SIGNING_SECRET": "s" * 40,
}


def test_local_mode_runs_with_no_other_setting():
    config = load_config({"APP_MODE": "local"})
    assert config.local
    assert config.public_base_url == "http://127.0.0.1:8080"
    assert config.google_api_base == "http://127.0.0.1:8090"
    assert config.tasks_emulator_host == "127.0.0.1:8123"
    assert config.smtp_port == 2525


def test_local_defaults_follow_the_port_variables():
    config = load_config({"APP_MODE": "local", "PORT": "9000", "GOOGLE_PORT": "9001"})
    assert config.public_base_url == "http://127.0.0.1:9000"
    assert config.google_api_base == "http://127.0.0.1:9001"


def test_production_configuration_is_accepted():
    config = load_config(PRODUCTION)
    assert not config.local
    assert config.task_handler_url == "https://sync.example.com/tasks/sync"


@pytest.mark.parametrize(
    "name, value",
    [
        ("LOCAL_SERVICE_SECRET", "shared-secret"),
        ("LOCAL_ENCRYPTION_KEY", "a-local-key"),
        ("CLOUD_TASKS_EMULATOR_HOST", "127.0.0.1:8123"),
        ("GOOGLE_API_BASE", "http://127.0.0.1:8090"),
    ],
)
def test_production_refuses_local_only_settings(name, value):
    with pytest.raises(ConfigError, match=name):
        load_config({**PRODUCTION, name: value})


def test_missing_settings_are_named():
    with pytest.raises(ConfigError) as raised:
        load_config({"APP_MODE": "production"})
    for name in ("GOOGLE_CLOUD_PROJECT", "PUBLIC_BASE_URL", "PLATFORM_RETURN_URL"):
        assert name in str(raised.value)


def test_rs256_needs_a_jwks_address():
    env = {**PRODUCTION, "APP_JWT_ALGORITHM": "RS256"}
    del env["APP_JWT_SECRET"]
    with pytest.raises(ConfigError, match="APP_JWT_JWKS_URL"):
        load_config(env)
    assert load_config({**env, "APP_JWT_JWKS_URL": "https://idp.example.com/jwks"})


def test_production_refuses_the_local_signing_secret():
    from shared.config import LOCAL_SIGNING_SECRET

    with pytest.raises(ConfigError, match="SIGNING_SECRET"):
        load_config({**PRODUCTION, "SIGNING_SECRET": LOCAL_SIGNING_SECRET})


def test_short_production_jwt_secret_is_refused():
    with pytest.raises(ConfigError, match="32 characters"):
        load_config({**PRODUCTION, "APP_JWT_SECRET": "short"})


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="APP_MODE"):
        load_config({**PRODUCTION, "APP_MODE": "staging"})
