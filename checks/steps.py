"""The SOP's check steps (2-6) and their machine names, defined once.

The runner, the reports, the agent's API and the bot all take the step list
from here, so adding or renaming a step changes one line. No imports, so any
module (the CLI's argument parser too) can use it for free.
"""

# SOP step number -> machine name (in reports, logs and template keys), in SOP order.
STEP_NAMES: dict[int, str] = {2: "software", 3: "ipconfig", 4: "ping", 5: "services", 6: "hardware"}
CHECK_STEPS: tuple[int, ...] = tuple(STEP_NAMES)
# Each check step by name, for code that needs one of them (monitoring, the agent's hardware).
SOFTWARE, IPCONFIG, PING, SERVICES, HARDWARE = CHECK_STEPS
