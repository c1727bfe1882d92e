"""Real SQLite files, loopback sockets, processes and network namespaces; no bot running."""
