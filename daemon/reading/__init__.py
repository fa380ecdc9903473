"""Reading EndNote's files (read-only) into a Snapshot: libraries, databases, exports, .enlx, preferences."""
