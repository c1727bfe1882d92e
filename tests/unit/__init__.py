"""Pure logic: no database, socket or process; at most a file in tmp_path."""
