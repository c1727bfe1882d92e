"""The bot itself (in-process ``run_bot`` or its process) against the Bot API stand-in."""
