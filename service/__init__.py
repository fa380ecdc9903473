"""The service templates (systemd unit, launchd agent, Task Scheduler task, desktop entry), read as data.

A regular package, not a bare folder: a plain (non-strict) editable install maps only packages it
can import, and `endnoted.service` must be found in every install mode.
"""
