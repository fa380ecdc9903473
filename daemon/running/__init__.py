"""The running daemon: runner, watcher, debounce, alerts, notifications, metrics, sd_notify."""
