"""Settings: the environment (``environment``) and the office's TOML file (``office``)."""
