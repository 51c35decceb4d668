# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pair's alarms: cluster_alerts checked, turned into the agent's configuration and into the CIB's alert.

cluster_alerts names the channels the alert agent (roles/cluster/files/twonode_alert.py) uses:
    mail:    {relay: HOST[:PORT], to: [ADDRESS, ...], from:, starttls: true, user:, password:, ca_file:}
    webhook: {url: http(s)://..., headers: {NAME: VALUE}, ca_file:}
    syslog:  true, or {facility: daemon|user|local0..local7}
    timeout: seconds one delivery may take (10)
Pacemaker calls the agent once per channel (the recipient's value names it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ALERT_ID = "twonode-alert"
AGENT_PATH = "/usr/local/lib/twonode/twonode_alert.py"
CHANNELS = ("mail", "webhook", "syslog")
FACILITIES = ("daemon", "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
_MAIL_KEYS = ("relay", "to", "from", "starttls", "user", "password", "ca_file")
_WEBHOOK_KEYS = ("url", "headers", "ca_file")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")
_RELAY = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:]+\](:[0-9]{1,5})?$")
# Seconds Pacemaker gives the agent beyond the delivery's own timeout before it kills it.
AGENT_GRACE = 5


def _unknown_keys(where, given, known):
    return ["%s: unknown key %r (known: %s)" % (where, k, ", ".join(known)) for k in sorted(set(given) - set(known))]


def _mail_errors(mail):
    if not isinstance(mail, dict):
        return ["cluster_alerts.mail must be a mapping (relay, to, ...)"]
    errors = _unknown_keys("cluster_alerts.mail", mail, _MAIL_KEYS)
    relay = mail.get("relay")
    if not isinstance(relay, str) or not _RELAY.match(relay):
        errors.append("cluster_alerts.mail.relay %r is not HOST or HOST:PORT" % (relay,))
    recipients = mail.get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients or not isinstance(recipients, list) or not all(
            isinstance(a, str) and _ADDRESS.match(a) for a in recipients):
        errors.append("cluster_alerts.mail.to must list one or more mail addresses")
    sender = mail.get("from")
    if sender is not None and not (isinstance(sender, str) and _ADDRESS.match(sender)):
        errors.append("cluster_alerts.mail.from is not a mail address")
    if not isinstance(mail.get("starttls", True), bool):
        errors.append("cluster_alerts.mail.starttls must be true or false")
    if mail.get("user") and not mail.get("password"):
        errors.append("cluster_alerts.mail.user is given without a password")
    if mail.get("password") and not mail.get("user"):
        errors.append("cluster_alerts.mail.password is given without a user")
    if mail.get("password") and mail.get("starttls") is False:
        errors.append("cluster_alerts.mail: a password is never sent without STARTTLS (starttls: false)")
    return errors


def _webhook_errors(webhook):
    if not isinstance(webhook, dict):
        return ["cluster_alerts.webhook must be a mapping (url, headers)"]
    errors = _unknown_keys("cluster_alerts.webhook", webhook, _WEBHOOK_KEYS)
    url = webhook.get("url")
    # The URL may carry a token: it is never repeated in an error.
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        errors.append("cluster_alerts.webhook.url is not an http:// or https:// URL")
    headers = webhook.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        errors.append("cluster_alerts.webhook.headers must map header names to strings")
    return errors


def alert_input_errors(alerts):
    """Problems with cluster_alerts, each in words that never repeat a secret."""
    if alerts in (None, {}):
        return []
    if not isinstance(alerts, dict):
        return ["cluster_alerts must be a mapping of channels (mail, webhook, syslog)"]
    errors = ["cluster_alerts: unknown channel %r (known: %s, and timeout)" % (k, ", ".join(CHANNELS))
              for k in sorted(set(alerts) - set(CHANNELS) - {"timeout"})]
    if "mail" in alerts:
        errors.extend(_mail_errors(alerts["mail"]))
    if "webhook" in alerts:
        errors.extend(_webhook_errors(alerts["webhook"]))
    syslog = alerts.get("syslog", False)
    if not (isinstance(syslog, bool) or (isinstance(syslog, dict) and set(syslog) <= {"facility"}
                                         and syslog.get("facility", "daemon") in FACILITIES)):
        errors.append("cluster_alerts.syslog must be true, false or {facility: one of %s}" % ", ".join(FACILITIES))
    timeout = alerts.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 120:
        errors.append("cluster_alerts.timeout %r is not a whole number of seconds from 1 to 120" % (timeout,))
    return errors


def enabled_channels(alerts):
    """The channels cluster_alerts turns on, in a fixed order."""
    alerts = alerts or {}
    return [c for c in CHANNELS if alerts.get(c) not in (None, False, {})]


def agent_config(alerts, cluster_name):
    """The agent's /etc/twonode/alert.json (holds secrets: written without a diff or log)."""
    alerts = alerts or {}
    channels = {}
    for channel in enabled_channels(alerts):
        settings = alerts[channel]
        if channel == "syslog":
            settings = settings if isinstance(settings, dict) else {}
        elif channel == "mail":
            settings = dict(settings)
            if isinstance(settings.get("to"), str):
                settings["to"] = [settings["to"]]
        channels[channel] = settings
    return {"cluster": cluster_name, "timeout": alerts.get("timeout", 10), "channels": channels}


def alert_cib(alerts):
    """The cib module's alerts list: one alert on node, fencing and resource events, a recipient per channel."""
    channels = enabled_channels(alerts)
    if not channels:
        return []
    timeout = (alerts or {}).get("timeout", 10)
    return [{
        "id": ALERT_ID,
        "path": AGENT_PATH,
        "meta": {"timeout": "%ds" % (timeout + AGENT_GRACE), "timestamp-format": "%Y-%m-%dT%H:%M:%S.%06N%z"},
        "select": ["nodes", "fencing", "resources"],
        "recipients": [{"id": "%s-%s" % (ALERT_ID, c), "value": c} for c in channels],
    }]
