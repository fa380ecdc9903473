"""endnoted's own state: the store, history, status, the single-instance lock."""
