"""Repair: proven backups, restore, and the reset wizard with its steps."""
