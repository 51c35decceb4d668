# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every command the modules run on a cluster node goes through a Node, and the reads come back parsed.

Node(run): run(args, **kwargs) -> (rc, out, err) runs one command on the node; the modules pass
AnsibleModule.run_command, the unit tests a fake that answers exact argv with captured output.
A command that fails raises NodeError carrying what it said; the modules turn that into fail_json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.twonode.ha.plugins.module_utils.corosync import parse_cfgtool_status, parse_quorumtool_status
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import (
    SPLIT_BRAIN_DIR,
    mark_split_brains,
    parse_drbdsetup_json,
    parse_proc_drbd,
    proc_drbd_version,
    split_brain_marks,
)

CRM_MON = ["crm_mon", "--one-shot", "--output-as=xml", "--inactive"]
# The message of a failed command unless its caller words it: {command}, {rc} and {said} are filled in.
FAILED = "{command} failed (rc {rc}): {said}"
CRM_MON_FAILED = "the cluster stack does not answer on this node (crm_mon rc={rc}): {said}"


def said(out, err):
    """What a command said about its failure: stderr, or stdout when stderr is empty."""
    return (err or out or "").strip()


class NodeError(RuntimeError):
    """A command or a read on the node failed; the message is for the user as it stands."""


class CommandFailed(NodeError):
    """A command exited with a code its caller does not accept (rc and what it said are kept)."""

    def __init__(self, message, command, rc, out, err):
        super(CommandFailed, self).__init__(message)
        self.command = command
        self.rc = rc
        self.out = out
        self.err = err


class Node(object):
    """One cluster node, as the modules see it through their command runner."""

    # Where DRBD 8.4 reports and where the split-brain handler leaves its marks (tests point them elsewhere).
    proc_drbd = "/proc/drbd"
    split_brain_dir = SPLIT_BRAIN_DIR

    def __init__(self, run):
        self.run = run

    def ask(self, args, failure=FAILED, ok=(0,), **kwargs):
        """Run a command whose exit code is part of the answer: (rc, stdout). An exit code not in ok raises
        CommandFailed with failure filled in ({command}, {rc}, {said}). kwargs go to the runner (data=)."""
        rc, out, err = self.run(args, **kwargs)
        if rc not in ok:
            # {said} last: what the command printed is not searched for placeholders.
            message = failure.replace("{command}", " ".join(args)).replace("{rc}", str(rc))
            raise CommandFailed(message.replace("{said}", said(out, err)), args, rc, out, err)
        return rc, out

    def must(self, args, failure=FAILED, **kwargs):
        """Run a command that has to succeed and return its stdout (else CommandFailed, as ask)."""
        return self.ask(args, failure, **kwargs)[1]

    def status(self, fence_history=False):
        """The cluster as crm_mon sees it from this node, parsed (crm_mon.parse_crm_mon's shape).

        fence_history adds the recent fencing actions (only cluster_status reports them)."""
        out = self.must(CRM_MON + (["--fence-history=2"] if fence_history else []), CRM_MON_FAILED)
        try:
            return parse_crm_mon(out)
        except ValueError as exc:
            raise NodeError("cannot read crm_mon's output: %s" % exc)

    def cib(self, scope=None, failure=FAILED):
        """The CIB as cibadmin prints it, whole or one section (resources, constraints, ...)."""
        return self.must(["cibadmin", "--query"] + (["--scope", scope] if scope else []), failure)

    def cib_tree(self, scope=None, failure=FAILED):
        """The CIB (or the section) parsed: the ElementTree element of its root."""
        text = self.cib(scope, failure)
        try:
            return ET.fromstring(text)
        except ET.ParseError as exc:
            raise NodeError("cibadmin --query did not give XML: %s" % exc)

    def name(self):
        """This node's name in the cluster (crm_node --name), None when the stack cannot tell."""
        rc, out, dummy = self.run(["crm_node", "--name"])
        return out.strip() if rc == 0 and out.strip() else None

    def links(self):
        """corosync's links as this node sees them (corosync.parse_cfgtool_status's shape)."""
        out = self.must(["corosync-cfgtool", "-s"])
        try:
            return parse_cfgtool_status(out)
        except ValueError as exc:
            raise NodeError("cannot read corosync-cfgtool's output: %s" % exc)

    def quorum(self):
        """Votequorum as this node sees it (corosync.parse_quorumtool_status's shape). corosync-quorumtool exits
        2 when the partition has no quorum: that is an answer too."""
        out = self.ask(["corosync-quorumtool", "-s"], ok=(0, 2))[1]
        try:
            return parse_quorumtool_status(out)
        except ValueError as exc:
            raise NodeError("cannot read corosync-quorumtool's output: %s" % exc)

    def drbd(self):
        """The DRBD volumes on this node (drbd.py's shape, split brains marked), [] when the DRBD
        kernel module is not loaded (a pair without DRBD)."""
        try:
            with open(self.proc_drbd) as handle:
                text = handle.read()
        except (IOError, OSError):
            return []
        return mark_split_brains(self.drbd_volumes(text), split_brain_marks(self.split_brain_dir))

    def drbd_volumes(self, proc_drbd_text):
        """DRBD 8.4 reports in /proc/drbd (the names come from drbdadm); DRBD 9 through drbdsetup's JSON."""
        version = proc_drbd_version(proc_drbd_text) or ""
        if not version.startswith("8."):
            out = self.must(["drbdsetup", "status", "--json"], "drbdsetup status --json failed: {said}")
            try:
                return parse_drbdsetup_json(out)
            except ValueError as exc:
                raise NodeError(str(exc))
        names = {}
        rc, out, dummy = self.run(["drbdadm", "sh-resources"])
        # Without the names the volumes are still reported, by minor.
        for name in out.split() if rc == 0 else []:
            rc, minor, dummy = self.run(["drbdadm", "sh-minor", name])
            if rc == 0 and minor.strip().isdigit():
                names[int(minor.strip())] = name
        return parse_proc_drbd(proc_drbd_text, names, dict((minor, self.device_kib(minor)) for minor in names))

    @staticmethod
    def device_kib(minor):
        """A DRBD device's size in KiB (sysfs counts 512-byte sectors), None when it cannot be read."""
        try:
            with open("/sys/block/drbd%d/size" % minor) as handle:
                return int(handle.read().strip()) // 2
        except (IOError, OSError, ValueError):
            return None


def run_with_node(module, act):
    """act(module, node) on a Node built on the module's runner, and its result. What fails on the node
    fails the module in the node's words (with the exit code when a command failed)."""
    try:
        return act(module, Node(module.run_command))
    except CommandFailed as exc:
        module.fail_json(msg=str(exc), rc=exc.rc)
    except NodeError as exc:
        module.fail_json(msg=str(exc))
