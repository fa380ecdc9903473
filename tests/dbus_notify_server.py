"""A small org.freedesktop.Notifications server for tests, on a private bus (PLATFORM.md §5, option B).

Run: python dbus_notify_server.py LOG_FILE  (with DBUS_SESSION_BUS_ADDRESS set to the private bus).
Every Notify call is appended to LOG_FILE as one JSON line; "ready" is printed once the name is owned.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
INTROSPECTION = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
<arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/></method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal></interface></node>"""


def main(log_path: str) -> None:
    connection = open_dbus_connection(bus="SESSION")
    reply = connection.send_and_get_reply(message_bus.RequestName(NAME, 4))
    if reply.body[0] != 1:
        raise SystemExit(f"could not own {NAME}: {reply.body}")
    print("ready", flush=True)
    ids = itertools.count(1)
    while True:
        message = connection.receive()
        if message.header.message_type != MessageType.method_call:
            continue
        member = message.header.fields.get(HeaderFields.member)
        if member == "Notify":
            app, _replaces, icon, summary, body, actions, hints, timeout = message.body
            urgency = hints.get("urgency")   # a variant: (signature, value)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps({"app": app, "summary": summary, "body": body, "actions": list(actions),
                                      "timeout": timeout, "icon": icon,
                                      "urgency": urgency[1] if isinstance(urgency, tuple) else urgency}) + "\n")
            number = next(ids)
            connection.send(new_method_return(message, "u", (number,)))
            buttons = [key for key in actions[::2] if key != "default"]
            if os.environ.get("AUTO_INVOKE") and buttons:  # the user presses the first button, a moment later
                time.sleep(0.5)
                emitter = DBusAddress("/org/freedesktop/Notifications", interface=NAME)
                connection.send(new_signal(emitter, "ActionInvoked", "us", (number, buttons[0])))
        elif member == "GetCapabilities":
            connection.send(new_method_return(message, "as", (["body", "actions"],)))
        elif member == "GetServerInformation":
            connection.send(new_method_return(message, "ssss", ("recorder", "endnoted-tests", "1", "1.2")))
        elif member == "CloseNotification":
            connection.send(new_method_return(message))
        elif member == "Introspect":
            connection.send(new_method_return(message, "s", (INTROSPECTION,)))
        else:
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    main(sys.argv[1])
