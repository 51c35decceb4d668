#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: address_handover
short_description: Give a server a new address of its own so that its old one can become a group's virtual IP
description:
  - Part of C(playbooks/adopt.yml) with C(adopt_address). The clients of a server that becomes a pair know its
    address; that address becomes the group's virtual IP, which Pacemaker moves with the service, and the server
    keeps serving meanwhile.
  - Adds O(new_address) on the interface that holds O(address), with the same prefix length, and rewrites the line
    of the server's persistent network configuration that names O(address) to name O(new_address), so that a boot
    brings up only the server's own address (ifupdown's C(/etc/network/interfaces) and C(interfaces.d), or
    systemd-networkd's C(.network) files). O(address) stays on the interface until Pacemaker's virtual IP takes it
    over; clients never lose it.
  - Sets C(promote_secondaries) on that interface (now and at boot), so that when Pacemaker removes O(address) from
    this node (a failover), the new address, added after it, stays.
  - Refuses, with nothing changed, an address from DHCP, one that netplan or NetworkManager configure, one named in
    more than one place, or a new address the files already use.
version_added: "0.3.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  address:
    description: The address the server's clients know (IPv4, no prefix), which becomes a group's virtual IP.
    type: str
    required: true
  new_address:
    description: The server's own address from now on (IPv4, no prefix), in the same network, not in use.
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Says what it would change and changes nothing.
  diff_mode:
    support: full
    description: The configuration line before and after (only that line, never the whole file).
notes:
  - Run it on the server that is adopted, before the cluster is built on O(new_address).
"""

EXAMPLES = r"""
- name: Give the server its new address; its old one becomes the group's virtual IP
  twonode.ha.address_handover:
    address: 192.0.2.10
    new_address: 192.0.2.21
"""

RETURN = r"""
interface:
  description: The interface that holds O(address).
  returned: success
  type: str
  sample: ens18
prefix:
  description: The prefix length of O(address), given to O(new_address) too.
  returned: success
  type: int
  sample: 24
where:
  description: The configuration line rewritten, as C(path:line) (empty when it was done before).
  returned: success
  type: list
  elements: str
  sample: ["/etc/network/interfaces:4"]
steps:
  description: What this run did (or would do in check mode) of V(address), V(configuration), V(promote_secondaries).
  returned: success
  type: list
  elements: str
  sample: [address, configuration, promote_secondaries]
"""

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.address_handover import (
    address_pair_problem,
    handover_edits,
    ipv4_addresses,
    same_network,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import NodeError, run_with_node

# Where a Debian server's network configuration may live (tests point ROOT elsewhere).
ROOT = "/"
NETWORK_FILES = ("etc/network/interfaces", "etc/network/interfaces.d/*", "etc/systemd/network/*.network",
                 "etc/netplan/*.yaml", "etc/NetworkManager/system-connections/*")
SYSCTL_FILE = "etc/sysctl.d/90-twonode-promote-secondaries.conf"


def read_network_files():
    """{path as on the node: text} of every file that may configure an address."""
    files = {}
    for pattern in NETWORK_FILES:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            if os.path.isfile(path):
                with open(path) as handle:
                    files["/" + os.path.relpath(path, ROOT)] = handle.read()
    return files


def write_file(path, text, mode=None):
    """Replace path (as on the node) with text, atomically, keeping its mode."""
    real = os.path.join(ROOT, path.lstrip("/"))
    mode = mode if mode is not None else (os.stat(real).st_mode & 0o7777 if os.path.exists(real) else 0o644)
    staged = real + ".twonode-new"
    with open(staged, "w") as handle:
        handle.write(text)
    os.chmod(staged, mode)
    os.rename(staged, real)


def promote_secondaries(interface):
    with open(os.path.join(ROOT, "proc/sys/net/ipv4/conf", interface, "promote_secondaries")) as handle:
        return handle.read().strip() == "1"


def handover(module, node):
    p = module.params
    old, new = p["address"], p["new_address"]
    problem = address_pair_problem(old, new)
    if problem:
        module.fail_json(msg=problem + "; nothing was changed")
    held = ipv4_addresses(node.must(["ip", "-json", "-4", "address", "show"]))
    files = read_network_files()
    plan = handover_edits(files, old, new)
    if plan["problems"]:
        module.fail_json(msg="The address handover cannot be done; nothing was changed: " + "; ".join(plan["problems"]))
    if old not in held and not (plan["done"] and new in held):
        raise NodeError("%s is not an address of this node (it has %s); nothing was changed" % (old, ", ".join(sorted(held)) or "none"))
    interface = held[old]["interface"] if old in held else held[new]["interface"]
    prefix = held[old]["prefix"] if old in held else held[new]["prefix"]
    if not same_network(old, new, prefix):
        raise NodeError("%s is not in the network of %s/%d: the server's new address must be in the network its clients "
                        "reach it on; nothing was changed" % (new, old, prefix))
    if new in held and held[new]["interface"] != interface:
        raise NodeError("%s is already an address of %s, not of %s (which holds %s); nothing was changed" % (new, held[new]["interface"], interface, old))
    sysctl_line = "net.ipv4.conf.%s.promote_secondaries = 1\n" % interface
    sysctl_path = "/" + SYSCTL_FILE
    sysctl_real = os.path.join(ROOT, SYSCTL_FILE)
    steps = []
    if new not in held:
        steps.append("address")
    if plan["edits"]:
        steps.append("configuration")
    sysctl_text = ""
    if os.path.exists(sysctl_real):
        with open(sysctl_real) as handle:
            sysctl_text = handle.read()
    if not promote_secondaries(interface) or sysctl_line not in sysctl_text:
        steps.append("promote_secondaries")
    # The diff: the interface's addresses and the one configuration line, never a whole file.
    before = ["%s: %s\n" % (interface, ", ".join("%s/%d" % (one, prefix) for one in (old, new) if one in held))]
    after = ["%s: %s/%d, %s/%d\n" % (interface, old, prefix, new, prefix)] if old in held else list(before)
    for where, (path, text) in zip(plan["where"], sorted(plan["edits"].items())):
        number = int(where.rsplit(":", 1)[1])
        before.append("%s: %s\n" % (where, files[path].splitlines()[number - 1]))
        after.append("%s: %s\n" % (where, text.splitlines()[number - 1]))
    if not module.check_mode:
        # promote_secondaries first: from then on the new address survives the old one's removal.
        if "promote_secondaries" in steps:
            node.must(["sysctl", "-q", "-w", "net.ipv4.conf.%s.promote_secondaries=1" % interface])
            if sysctl_line not in sysctl_text:
                write_file(sysctl_path, sysctl_text + sysctl_line, 0o644)
        if "address" in steps:
            node.must(["ip", "address", "add", "%s/%d" % (new, prefix), "dev", interface])
        for path, text in plan["edits"].items():
            write_file(path, text)
    return dict(changed=bool(steps), steps=steps, interface=interface, prefix=prefix, where=plan["where"],
                diff=dict(before="".join(before), after="".join(after)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type="str", required=True),
            new_address=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, handover))


if __name__ == "__main__":
    main()
