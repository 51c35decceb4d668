# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pacemaker alert agent of twonode.ha: tells someone when the pair changes, by mail, webhook or syslog.

Pacemaker runs it as hacluster once per recipient of the alert, with the event in CRM_alert_*
variables; the recipient's value names the channel (mail, webhook, syslog) configured in
/etc/twonode/alert.json (root:haclient 0640, written by the cluster role; it holds the relay's
password and the webhook's headers). Every message names the cluster and the node.

    twonode_alert.py                         deliver the event in the environment to CRM_alert_recipient
    twonode_alert.py --test CHANNEL          send a test message through CHANNEL (mail, webhook, syslog)
    twonode_alert.py --drbd EVENT RESOURCE   tell every channel about a DRBD event (split-brain,
                                             disconnected, fence-peer), the details in the handler's DRBD_*
                                             variables

DRBD runs the last form as root, through its handlers (roles/drbd/files/twonode-drbd-alarm starts it
detached, so DRBD never waits for it). It never blocks the cluster: each delivery has a timeout, and
Pacemaker's own alert timeout stops it after that. What it prints goes to Pacemaker's log, so it never prints a secret: no
password, no header, no URL (a webhook URL often carries a token). Exit 0: sent, or not worth
sending; 1: not delivered (the reason is printed); 2: wrong usage.
"""
import json
import os
import smtplib
import socket
import ssl
import sys
import syslog
import urllib.error
import urllib.request
from email.message import EmailMessage

CONFIG = "/etc/twonode/alert.json"
CHANNELS = ("mail", "webhook", "syslog")
DEFAULT_TIMEOUT = 10
# Resource operations that mean "the service is now here" when they succeed; the rest of a
# move (stop, demote, notify) and recurring monitors that succeed are not worth a message.
ARRIVALS = ("start", "promote")
FACILITIES = {"daemon": syslog.LOG_DAEMON, "user": syslog.LOG_USER, "local0": syslog.LOG_LOCAL0,
              "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3,
              "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6,
              "local7": syslog.LOG_LOCAL7}


class AlertError(Exception):
    """A delivery or configuration problem, in words safe for Pacemaker's log."""


def event_from_env(env):
    """The event Pacemaker passes in CRM_alert_* variables, as plain fields."""
    def get(name):
        return env.get("CRM_alert_" + name, "")
    return {
        "kind": get("kind"),
        "node": get("node"),
        "desc": get("desc"),
        "task": get("task"),
        "rc": get("rc"),
        "target_rc": get("target_rc"),
        "status": get("status"),
        "rsc": get("rsc"),
        "interval": get("interval"),
        "timestamp": get("timestamp"),
        "sequence": get("node_sequence"),
        "version": get("version"),
        "recipient": get("recipient"),
    }


# DRBD events the agent knows, as DRBD names the handlers that report them (see roles/drbd). DRBD 8.4
# has no `disconnected`: its fence-peer handler, run on a primary whose peer's data is unknown, reports it.
DRBD_EVENTS = ("split-brain", "disconnected", "fence-peer")
# The connection state a `disconnected` handler sees when this node disconnected on purpose (drbdadm
# disconnect or down, Pacemaker stopping DRBD): not worth a message, the peer reports TearDown then.
DRBD_ASKED_HERE = "Disconnecting"
# The peer closed the connection in order (it was taken down): replication stops, but as planned.
DRBD_PEER_CLOSED = "TearDown"


def _drbd_peer(env):
    """The peer's name: DRBD 8.4's drbdadm gives DRBD_PEERS; DRBD 9 gives the peer's node id and each
    node id's host name; failing both, the peer's address."""
    names = env.get("DRBD_PEERS") or env.get("DRBD_PEER")
    if not names and env.get("DRBD_PEER_NODE_ID"):
        names = env.get("DRBD_NODE_ID_" + env["DRBD_PEER_NODE_ID"])
    return names or env.get("DRBD_PEER_ADDRESS") or "?"


def drbd_event(name, resource, env):
    """A DRBD handler's event, from the variables DRBD gives it, in the fields the channels send."""
    return {
        "kind": "drbd",
        "task": name,
        "node": socket.gethostname(),
        "rsc": resource,
        "peer": _drbd_peer(env),
        "cstate": env.get("DRBD_CSTATE", ""),
        "minor": env.get("DRBD_MINOR", ""),
        "volume": env.get("DRBD_VOLUME", ""),
        "desc": {"split-brain": "split brain", "fence-peer": "primary without its peer"}.get(name, "connection lost"),
    }


def _drbd_summary(cluster, event):
    if event["task"] == "split-brain":
        return ("[%s] DRBD split brain on %s between %s and %s: both wrote while apart, nothing is mirrored until it "
                "is resolved (playbooks/splitbrain.yml)" % (cluster, event["rsc"], event["node"], event["peer"]))
    if event["task"] == "fence-peer":
        return "[%s] DRBD %s on %s is primary without %s (connection lost): not mirrored until it reconnects" % (
            cluster, event["rsc"], event["node"], event["peer"])
    if event["cstate"] == DRBD_PEER_CLOSED:
        return "[%s] DRBD %s on %s: %s closed the connection (%s): not mirrored until it reconnects" % (
            cluster, event["rsc"], event["node"], event["peer"], event["cstate"])
    return "[%s] DRBD %s on %s lost its connection to %s (%s): not mirrored until it reconnects" % (
        cluster, event["rsc"], event["node"], event["peer"], event["cstate"] or "?")


# Pacemaker's execution status of an operation: 0 done, 1 cancelled (a recurring monitor stopped
# because its resource stops or moves: routine), anything else went wrong (timed out, error, ...).
DONE, CANCELLED = "0", "1"
# What a probe (a one-time monitor) may find without anything being wrong: stopped, running, promoted.
PROBE_STATES = ("0", "7", "8")


def _failed(event):
    """A resource operation that went wrong. A cancelled monitor did not, and neither did a probe that
    found the resource in a state of its own: that is the cluster learning where things run."""
    if event["status"] not in ("", DONE, CANCELLED):
        return True
    if event["status"] == CANCELLED:
        return False
    if event["task"] == "monitor" and event["interval"] in ("", "0"):
        return event["rc"] not in PROBE_STATES
    return event["target_rc"] != "" and event["rc"] != event["target_rc"]


def worth_sending(event):
    """Node and fencing events always; resource events when an operation failed or a service arrived; DRBD
    events unless this node disconnected on purpose."""
    if event["kind"] in ("node", "fencing"):
        return True
    if event["kind"] == "drbd":
        return event["cstate"] != DRBD_ASKED_HERE
    if event["kind"] != "resource":
        return False
    if _failed(event):
        return True
    return event["task"] in ARRIVALS and event["interval"] in ("", "0")


def severity(event):
    """'critical' for what leaves the pair less than whole, else 'info'."""
    if event["kind"] == "node":
        return "info" if event["desc"] == "member" else "critical"
    if event["kind"] == "fencing":
        return "critical"
    if event["kind"] == "drbd":
        return "info" if event["cstate"] == DRBD_PEER_CLOSED and event["task"] != "split-brain" else "critical"
    return "critical" if _failed(event) else "info"


def summary(cluster, event, seen_from=""):
    """One line that says what happened, on which cluster and node, and from where it was seen."""
    kind, node = event["kind"], event["node"] or "?"
    if kind == "drbd":
        return _drbd_summary(cluster, event)  # DRBD reports what this node sees: the node is where it was seen
    where = " (seen from %s)" % seen_from if seen_from else ""
    if kind == "node":
        what = "is a cluster member" if event["desc"] == "member" else "was lost (%s)" % (event["desc"] or "?")
        return "[%s] node %s %s%s" % (cluster, node, what, where)
    if kind == "fencing":
        # The task is Pacemaker's notification (st_notify_fence); the description names the operation.
        outcome = "succeeded" if event["rc"] == "0" else "FAILED (rc %s)" % (event["rc"] or "?")
        return "[%s] fencing of %s %s: %s" % (cluster, node, outcome, event["desc"])
    if _failed(event):
        task = event["task"] + ("" if event["interval"] in ("", "0") else " (every %s ms)" % event["interval"])
        return "[%s] resource %s failed on %s: %s %s (rc %s, expected %s)" % (
            cluster, event["rsc"], node, task, event["desc"] or "?", event["rc"], event["target_rc"] or "?")
    verb = "promoted" if event["task"] == "promote" else "started"
    return "[%s] resource %s %s on %s" % (cluster, event["rsc"], verb, node)


def load_config(path):
    try:
        with open(path) as handle:
            config = json.load(handle)
    except (IOError, OSError) as exc:
        raise AlertError("cannot read %s: %s" % (path, exc.strerror or exc))
    except ValueError:
        raise AlertError("%s is not JSON" % path)
    if not isinstance(config, dict) or not isinstance(config.get("channels"), dict):
        raise AlertError("%s has no channels" % path)
    return config


def send_syslog(settings, subject, event, level):
    facility = FACILITIES.get(settings.get("facility", "daemon"))
    if facility is None:
        raise AlertError("unknown syslog facility %r" % settings.get("facility"))
    syslog.openlog("twonode-alert", 0, facility)
    syslog.syslog(syslog.LOG_CRIT if level == "critical" else syslog.LOG_NOTICE, subject)
    syslog.closelog()


def webhook_payload(cluster, event, subject, level):
    return {"cluster": cluster, "node": event["node"], "kind": event["kind"], "severity": level,
            "summary": subject, "seen_from": socket.gethostname(), "event": event}


def send_webhook(settings, payload, timeout, opener=urllib.request.urlopen):
    url = settings.get("url", "")
    if not url.startswith(("https://", "http://")):
        raise AlertError("the webhook URL is not http(s)")
    headers = {"Content-Type": "application/json", "User-Agent": "twonode-alert"}
    headers.update(settings.get("headers") or {})
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), headers=headers, method="POST")
    context = None
    if url.startswith("https://") and settings.get("ca_file"):
        context = ssl.create_default_context(cafile=settings["ca_file"])
    try:
        with opener(request, timeout=timeout, context=context) as response:
            code = response.getcode()
    except urllib.error.HTTPError as exc:
        raise AlertError("webhook answered HTTP %d" % exc.code)
    except (urllib.error.URLError, socket.timeout, OSError) as exc:
        # The reason (refused, timed out, name unknown), never the URL: it may carry a token.
        raise AlertError("webhook unreachable: %s" % getattr(exc, "reason", exc.__class__.__name__))
    if not 200 <= code < 300:
        raise AlertError("webhook answered HTTP %d" % code)


def mail_message(cluster, settings, subject, event):
    message = EmailMessage()
    message["From"] = settings.get("from") or "twonode-alert@%s" % socket.getfqdn()
    message["To"] = ", ".join(settings["to"])
    message["Subject"] = subject
    lines = [subject, ""] + ["%s: %s" % (key, value) for key, value in sorted(event.items()) if value]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_mail(settings, message, timeout, smtp_class=smtplib.SMTP):
    host, dummy, port = settings.get("relay", "").partition(":")
    if not host or not settings.get("to"):
        raise AlertError("mail needs a relay and at least one address to send to")
    try:
        with smtp_class(host, int(port or 25), timeout=timeout) as smtp:
            if settings.get("starttls", True):
                smtp.starttls(context=ssl.create_default_context(cafile=settings.get("ca_file") or None))
            if settings.get("user"):
                smtp.login(settings["user"], settings.get("password", ""))
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise AlertError("the relay refused the login (%d)" % exc.smtp_code)
    except smtplib.SMTPException as exc:
        raise AlertError("the relay refused the mail: %s" % exc.__class__.__name__)
    except (socket.timeout, OSError) as exc:
        raise AlertError("the relay %s is unreachable: %s" % (host, exc.strerror or exc.__class__.__name__))


def deliver(config, channel, event, subject=None, level=None):
    """Send the event through one channel and return what it said; AlertError when it fails."""
    settings = config["channels"].get(channel)
    if settings is None:
        raise AlertError("channel %r is not configured" % channel)
    cluster = config.get("cluster", "?")
    timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
    subject = subject or summary(cluster, event, socket.gethostname())
    level = level or severity(event)
    if channel == "syslog":
        send_syslog(settings, subject, event, level)
    elif channel == "webhook":
        send_webhook(settings, webhook_payload(cluster, event, subject, level), timeout)
    elif channel == "mail":
        send_mail(settings, mail_message(cluster, settings, subject, event), timeout)
    else:
        raise AlertError("unknown channel %r" % channel)
    return subject


def test_event(node):
    return {"kind": "test", "node": node, "desc": "a test of the alarm path", "task": "", "rc": "", "target_rc": "",
            "status": "", "rsc": "", "interval": "", "timestamp": "", "sequence": "", "version": "", "recipient": ""}


def deliver_everywhere(config, event):
    """Send the event through every configured channel, each in turn (syslog first: it cannot hang), one's
    failure not stopping the others; the failures, each named by its channel, as one AlertError."""
    failures = []
    for channel in [name for name in ("syslog", "webhook", "mail") if name in config["channels"]]:
        try:
            deliver(config, channel, event)
        except AlertError as exc:
            failures.append("%s: %s" % (channel, exc))
    if failures:
        raise AlertError("; ".join(failures))


def usage():
    return [part for part in __doc__.split("\n\n") if "twonode_alert.py --test" in part][0]


def main(argv, env):
    path = env.get("TWONODE_ALERT_CONFIG", CONFIG)
    try:
        if len(argv) == 4 and argv[1] == "--drbd" and argv[2] in DRBD_EVENTS and argv[3]:
            event = drbd_event(argv[2], argv[3], env)
            if worth_sending(event):
                deliver_everywhere(load_config(path), event)
            return 0
        if len(argv) == 3 and argv[1] == "--test":
            config = load_config(path)
            event = test_event(socket.gethostname())
            subject = "[%s] test alarm from %s" % (config.get("cluster", "?"), event["node"])
            print("sent: %s" % deliver(config, argv[2], event, subject, "info"))
            return 0
        if len(argv) != 1:
            print(usage(), file=sys.stderr)
            return 2
        event = event_from_env(env)
        # Pacemaker calls an alert without recipients too; nothing to do then.
        if not event["recipient"] or not worth_sending(event):
            return 0
        config = load_config(path)
        deliver(config, event["recipient"], event)
        return 0
    except AlertError as exc:
        print("twonode-alert: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv, os.environ))
