"""netmaint's tests, by what they need (see tests/README.md).

``unit/`` pure logic; ``integration/`` real SQLite, sockets, processes, namespaces;
``e2e/`` the bot through the Bot API stand-in; ``support/`` the helpers they share.
"""
