#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: node_state
short_description: Read what a role decides on from a node in one call (files, packages, units, kernel settings)
description:
  - The collection's roles read each node once with this module and then run only the tasks whose
    target differs from what they would make of it, so that a run with nothing to change costs one
    module run per node and role rather than one per file, package and service.
  - Reads only; never changes the node. Runs in check mode.
  - File contents are never returned, only their sha1 digest, except for the files named in O(read).
version_added: "0.3.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  files:
    description: Paths to describe (links are not followed).
    type: list
    elements: path
    default: []
  devices:
    description: Paths of devices (disks, the watchdog) whose kind RV(devices) gives, links followed.
    type: list
    elements: path
    default: []
  read:
    description:
      - Paths whose text is returned in RV(contents) (a missing file gives V(null)). Only for files that
        hold no secret; the module's result is shown with C(-v).
    type: list
    elements: path
    default: []
  packages:
    description: Debian packages this node needs; RV(missing_packages) lists those dpkg does not report installed.
    type: list
    elements: str
    default: []
  units:
    description: systemd units to describe.
    type: list
    elements: str
    default: []
  sysctls:
    description: Kernel settings to read, by their sysctl names (V(net.ipv4.ip_nonlocal_bind)).
    type: list
    elements: str
    default: []
  mounts:
    description: Paths of which RV(mounted) lists those that are mount points now.
    type: list
    elements: path
    default: []
  disks:
    description:
      - Block devices to describe in RV(disks) (links followed) - their size, what sits on them, where they are mounted,
        the signature C(blkid -p) finds, an ext4's size and how far it could shrink, an LVM volume's group and its free space.
      - For the adoption of a server's data disk (C(playbooks/adopt.yml)); reads only.
    type: list
    elements: path
    default: []
  host:
    description:
      - Also report the node's addresses, host name and release (RV(host)), in place of Ansible's fact gathering.
    type: bool
    default: false
  fence_agents:
    description: Also list the fence agents installed (C(stonith_admin --list-installed)); V([]) without Pacemaker.
    type: bool
    default: false
  firewall_chain:
    description:
      - Also read the node's firewall into RV(firewall) (C(nft -j list ruleset) and whether firewalld runs),
        and whether the input chains that drop jump to the chain of this name already.
    type: str
  status:
    description:
      - Also read the cluster's status as this node sees it into RV(status), in the shape M(twonode.ha.cluster_status)
        returns (DRBD left out), so that a role's waits can be skipped when there is nothing to wait for.
      - A node without a running stack (or without Pacemaker) gives a RV(status) whose C(stack_running) is false; the read does not fail on that.
    type: dict
    suboptions:
      settle_groups:
        description: As M(twonode.ha.cluster_status)'s O(twonode.ha.cluster_status#module:settle_groups).
        type: list
        elements: str
        default: []
      idle:
        description: As M(twonode.ha.cluster_status)'s O(twonode.ha.cluster_status#module:idle).
        type: bool
        default: false
      pair:
        description: As M(twonode.ha.cluster_status)'s O(twonode.ha.cluster_status#module:pair).
        type: bool
        default: false

notes:
  - Reads C(/etc/os-release), C(/proc/self/mountinfo) and C(/proc/sys) and runs C(ip), C(dpkg-query),
    C(systemctl show), C(stonith_admin), C(crm_mon), C(cibadmin) and C(crmadmin) as asked.
attributes:
  check_mode:
    support: full
    description: Reads only, in check mode as in a normal run.
  diff_mode:
    support: none
    description: Changes nothing, so there is no difference to show.
"""

EXAMPLES = r"""
- name: Read what the role decides on
  twonode.ha.node_state:
    files: [/etc/corosync/corosync.conf, /etc/corosync/authkey]
    packages: [corosync, pacemaker]
    units: [corosync, pacemaker]
  register: cluster_node

- name: Render corosync.conf where it differs
  ansible.builtin.copy:
    content: "{{ cluster_conf }}"
    dest: /etc/corosync/corosync.conf
    mode: "0644"
  when: cluster_node.files['/etc/corosync/corosync.conf'] | twonode.ha.file_differs(content=cluster_conf)
"""

RETURN = r"""
files:
  description: Each path of O(files) and what is there.
  returned: always
  type: dict
  sample: {"/etc/corosync/authkey": {"exists": true, "type": "file", "mode": "0400", "owner": "root",
           "group": "root", "sha1": "3f786850e387550fdab836ed7e6dc881de23001b"}}
  contains:
    exists:
      description: Whether anything is at the path.
      type: bool
    type:
      description: V(file), V(directory), V(link) or V(other).
      type: str
    mode:
      description: The permission bits in octal, for example V(0644).
      type: str
    owner:
      description: The owner's name (the number when no user has it).
      type: str
    group:
      description: The group's name (the number when no group has it).
      type: str
    sha1:
      description: The sha1 of a file's content.
      type: str
    target:
      description: Where a link points.
      type: str
devices:
  description: What each path of O(devices) leads to, links followed.
  returned: always
  type: dict
  sample: {"/dev/vdc": "block", "/dev/watchdog": "char", "/dev/vdz": "missing"}
contents:
  description: The text of each file of O(read), V(null) when it is missing.
  returned: always
  type: dict
missing_packages:
  description: The packages of O(packages) that are not installed, in the order given.
  returned: always
  type: list
  elements: str
units:
  description: Each unit of O(units).
  returned: always
  type: dict
  sample: {"corosync": {"loaded": true, "enabled": "enabled", "active": "active"}}
  contains:
    loaded:
      description: Whether systemd knows the unit (false when its package is not installed).
      type: bool
    enabled:
      description: The unit file state (V(enabled), V(disabled), V(masked), V(static), ...).
      type: str
    active:
      description: The active state (V(active), V(inactive), V(failed), ...).
      type: str
sysctls:
  description: The value of each kernel setting of O(sysctls), V(null) when the kernel has no such setting.
  returned: always
  type: dict
  sample: {"net.ipv4.ip_nonlocal_bind": "1"}
mounted:
  description: The paths of O(mounts) that are mount points.
  returned: always
  type: list
  elements: str
mount_sources:
  description: For each path of O(mounts) that is a mount point, what is mounted there (its last mount).
  returned: always
  type: dict
  sample: {"/srv/services": {"source": "/dev/drbd0", "fstype": "ext4"}}
fstab_options:
  description:
    - For each path of O(mounts), the options C(/etc/fstab) mounts it with, less those that only matter at boot (V(defaults),
      V(nofail), C(x-systemd.*), ...) and any that may carry a credential; V(null) when fstab has no line for it.
  returned: always
  type: dict
  sample: {"/srv/services": ["noatime", "usrquota"]}
disks:
  description: Each path of O(disks) and what is there.
  returned: always
  type: dict
  sample: {"/dev/vdb": {"path": "/dev/vdb", "kind": "block", "size": 536870912, "holders": [], "partitions": [],
           "mountpoints": ["/srv/services"], "fstype": "ext4", "signature": {"TYPE": "ext4"}, "lvm": null,
           "ext4": {"block_count": 131072, "block_size": 4096, "state": "clean", "minimum_blocks": 32041}}}
  contains:
    kind:
      description: V(block), V(missing) or what else the path leads to (as RV(devices)); the other keys only for V(block).
      type: str
    size:
      description: The size in bytes.
      type: int
    holders:
      description: The block devices that sit on this one (device mapper, md).
      type: list
      elements: str
    partitions:
      description: Its partitions' names.
      type: list
      elements: str
    mountpoints:
      description: Where it is mounted.
      type: list
      elements: str
    fstype:
      description: The filesystem's type, as mounted or as C(blkid -p) finds it; V(null) when there is none.
      type: str
    signature:
      description: What C(blkid -p -o export) found (V({}) for a blank disk).
      type: dict
    lvm:
      description: C(vg) and C(lv) when the device is an LVM logical volume, with C(vg_free) and C(extent) in bytes.
      type: dict
    ext4:
      description: An ext4's C(block_count), C(block_size), C(state) and C(minimum_blocks) (C(resize2fs -P)'s estimate).
      type: dict
    xfs:
      description: A mounted xfs's C(block_count) and C(block_size) (C(xfs_info)).
      type: dict
host:
  description: The node's addresses, host name and release (with O(host)), in place of Ansible's facts.
  returned: when O(host) is true
  type: dict
  contains:
    addresses:
      description: Every IPv4 and IPv6 address of the node but the loopback ones.
      type: list
      elements: str
    networks:
      description: The same addresses with their prefix lengths, for example V(10.0.0.1/24).
      type: list
      elements: str
    hostname:
      description: The kernel's host name (C(uname -n)).
      type: str
    distribution:
      description: The distribution's name, as Ansible's facts give it (V(Debian)).
      type: str
    distribution_major_version:
      description: The release's major version, for example V(13).
      type: str
    managed_addresses:
      description:
        - The addresses the cluster moves between the nodes (the virtual IPs of the local CIB's resources); V([]) without a CIB.
        - Only the addresses are read out of the CIB, never the resources' other parameters.
      type: list
      elements: str
    managed_drbd:
      description: The DRBD resources the local CIB runs (ocf:linbit:drbd); V([]) without a CIB.
      type: list
      elements: str
    clock:
      description: The node's clock.
      type: dict
      contains:
        synchronized:
          description:
            - Whether the kernel calls the clock synchronised (a time daemon has reached a source), as
              C(timedatectl)'s NTPSynchronized; V(null) when it cannot be asked.
          type: bool
        services:
          description:
            - Which time services run, of C(chrony), C(systemd-timesyncd), C(ntpsec), C(ntp) and C(openntpd);
              only those asked in O(units) are known.
          type: list
          elements: str
status:
  description:
    - The cluster's status as this node sees it (with O(status)), as the return values of M(twonode.ha.cluster_status),
      among them RV(twonode.ha.cluster_status#module:stack_running), RV(twonode.ha.cluster_status#module:quorate),
      RV(twonode.ha.cluster_status#module:nodes), RV(twonode.ha.cluster_status#module:fence_devices) and
      RV(twonode.ha.cluster_status#module:settle_problems).
  returned: when O(status) is given
  type: dict
  sample: {"stack_running": true, "quorate": true, "settle_problems": [], "verdict": "available"}
firewall:
  description: What the node's firewall does with packets that come in (with O(firewall_chain)).
  returned: when O(firewall_chain) is given
  type: dict
  sample: {"nft": true, "conf": true, "firewalld": false, "hooks": [{"family": "inet", "table": "filter",
           "chain": "input", "owner": "nft", "jumps": false, "loaded": false}]}
  contains:
    nft:
      description: Whether nftables' C(nft) is installed (without it no nftables rule is read).
      type: bool
    conf:
      description: Whether C(/etc/nftables.conf), which C(nftables.service) loads at boot, exists.
      type: bool
    conf_declares:
      description:
        - What C(/etc/nftables.conf) declares - C(tables) (each V([family, name])) and C(flushes) (whether it flushes the
          ruleset first).
      type: dict
    firewalld:
      description: Whether firewalld runs.
      type: bool
    hooks:
      description:
        - The filter chains on the input hook that drop what their rules do not accept, in the ruleset's order;
          C(owner) is V(nft), V(iptables) (a table iptables-nft keeps) or V(firewalld); C(jumps) whether the chain
          jumps to O(firewall_chain) already, C(loaded) whether that chain is in the same table.
      type: list
      elements: dict
fence_agents:
  description: The fence agents installed (with O(fence_agents)).
  returned: when O(fence_agents) is true
  type: list
  elements: str
"""

import io
import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twonode.ha.plugins.module_utils.node_state import (
    CIB_RESOURCES,
    DPKG_QUERY,
    FENCE_AGENTS,
    IP_ADDRESSES,
    SYSTEMCTL_SHOW,
    TIME_SERVICES,
    device_kind,
    file_facts,
    kernel_clock_synchronized,
    missing_packages,
    mounted_paths,
    parse_ip_addresses,
    parse_os_release,
    parse_systemctl_show,
)
from ansible_collections.twonode.ha.plugins.module_utils.adopt_plan import (
    mounts as mount_table,
    parse_dumpe2fs,
    parse_resize2fs_minimum,
    parse_vgs,
    fstab_options,
    parse_xfs_info,
    sysfs_block,
)
from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import managed_addresses, managed_drbd
from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import parse_blkid_export
from ansible_collections.twonode.ha.plugins.module_utils.firewall import FIREWALLD_ACTIVE, NFT_RULESET, NFTABLES_CONF, conf_facts, input_hooks
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import NodeError, run_with_node
from ansible_collections.twonode.ha.plugins.module_utils.status_read import read_status, stack_not_installed


def read_text(path):
    """The file's text as it is (line ends kept: certutil writes PEM with CRLF, and a copy of it compared
    with its sha1 must match), None when it cannot be read."""
    try:
        with io.open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def read_state(module, node):
    params = module.params
    mountinfo = read_text("/proc/self/mountinfo") or ""
    result = {
        "changed": False,
        "files": dict((path, file_facts(path)) for path in params["files"]),
        "devices": dict((path, device_kind(path)) for path in params["devices"]),
        "contents": dict((path, read_text(path)) for path in params["read"]),
        "sysctls": dict((name, _strip(read_text("/proc/sys/" + name.replace(".", "/"))))
                        for name in params["sysctls"]),
        "mounted": mounted_paths(mountinfo, params["mounts"]),
        "mount_sources": mount_sources(mountinfo, params["mounts"]),
        "fstab_options": dict((path, fstab_options(read_text("/etc/fstab"), path)) for path in params["mounts"]),
        "disks": read_disks(node, params["disks"], mountinfo),
        "missing_packages": [],
        "units": {},
    }
    if params["packages"]:
        # rc 1 when a package is unknown to dpkg: it is then missing, as is one not installed.
        dummy, out = node.ask(DPKG_QUERY + params["packages"], ok=(0, 1))
        result["missing_packages"] = missing_packages(params["packages"], out.splitlines())
    if params["units"]:
        try:
            result["units"] = parse_systemctl_show(node.must(SYSTEMCTL_SHOW + params["units"]), params["units"])
        except ValueError as exc:
            raise NodeError(str(exc))
    if params["host"]:
        result["host"] = read_host(node, bool(module.get_bin_path("cibadmin")))
        result["host"]["clock"] = read_clock(result["units"])
    if params["fence_agents"]:
        rc, out, dummy = node.run(FENCE_AGENTS)
        result["fence_agents"] = [line.strip() for line in out.splitlines() if line.strip()] if rc == 0 else []
    if params["firewall_chain"]:
        result["firewall"] = read_firewall(module, node, params["firewall_chain"])
    # run_command fails the whole module for a command that is not there: a node before its packages.
    if params["status"] is not None and not module.get_bin_path("crm_mon"):
        result["status"] = stack_not_installed()
    elif params["status"] is not None:
        result["status"] = read_status(node, drbd=False, **params["status"])
    return result


def mount_sources(mountinfo_text, paths):
    """{path: {source, fstype}} for the paths that are mount points (the last mount on a path is the one seen)."""
    found = {}
    for mount in mount_table(mountinfo_text):
        if mount["mountpoint"] in paths or mount["mountpoint"] + "/" in paths:
            found[mount["mountpoint"]] = {"source": mount["source"], "fstype": mount["fstype"]}
    return found


def device_number(path):
    """A block device's MAJ:MIN, as mountinfo and /sys/dev/block name it."""
    rdev = os.stat(path).st_rdev
    return "%d:%d" % (os.major(rdev), os.minor(rdev))


def read_disks(node, paths, mountinfo):
    """The facts of each block device of paths, for the adoption checks (module_utils.adopt_plan)."""
    if not paths:
        return {}
    table = mount_table(mountinfo)
    disks = {}
    for path in paths:
        kind = device_kind(path)
        facts = {"path": path, "kind": kind}
        disks[path] = facts
        if kind != "block":
            continue
        majmin = device_number(path)
        facts.update(sysfs_block("/sys/dev/block/" + majmin))
        mounted = [mount for mount in table if mount["majmin"] == majmin]
        facts["mountpoints"] = [mount["mountpoint"] for mount in mounted]
        # blkid -p exits 2 when it finds no signature.
        rc, out = node.ask(["blkid", "-p", "-o", "export", path], "blkid could not read %s: {said}" % path, ok=(0, 2))
        facts["signature"] = parse_blkid_export(out) if rc == 0 else {}
        facts["signature"].pop("DEVNAME", None)
        facts["fstype"] = mounted[0]["fstype"] if mounted else facts["signature"].get("TYPE")
        facts["ext4"] = None
        if facts["fstype"] == "ext4":
            try:
                facts["ext4"] = parse_dumpe2fs(node.must(["dumpe2fs", "-h", path]))
            except ValueError as exc:
                raise NodeError("%s: %s" % (path, exc))
            # An estimate, which resize2fs may decline to give for a filesystem it wants checked first.
            rc, out, err = node.run(["resize2fs", "-P", path])
            facts["ext4"]["minimum_blocks"] = parse_resize2fs_minimum(out + err) if rc == 0 else None
        facts["xfs"] = None
        if facts["fstype"] == "xfs" and mounted:
            try:
                facts["xfs"] = parse_xfs_info(node.must(["xfs_info", mounted[0]["mountpoint"]]))
            except ValueError as exc:
                raise NodeError("%s: %s" % (path, exc))
        if facts["lvm"]:
            rc, out, dummy = node.run(["vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                       "-o", "vg_name,vg_free,vg_extent_size", facts["lvm"]["vg"]])
            group = parse_vgs(out).get(facts["lvm"]["vg"], {}) if rc == 0 else {}
            facts["lvm"].update(vg_free=group.get("free", 0), extent=group.get("extent", 0))
    return disks


def read_host(node, has_cib):
    """The node's addresses, host name and release, as the roles' checks use them, and which of the
    addresses the cluster moves between the nodes (its own are the others)."""
    try:
        networks = parse_ip_addresses(node.must(IP_ADDRESSES))
    except ValueError as exc:
        raise NodeError(str(exc))
    distribution, major_version = parse_os_release(read_text("/etc/os-release") or "")
    cib = read_cib_resources(node) if has_cib else ""
    return {"addresses": [network.split("/")[0] for network in networks], "networks": networks,
            "hostname": os.uname()[1], "distribution": distribution, "distribution_major_version": major_version,
            "managed_addresses": managed_addresses(cib), "managed_drbd": managed_drbd(cib)}


def read_firewall(module, node, own_chain):
    """The input chains that drop, from the live ruleset (what the node does now; nftables.conf is what it does after a boot)."""
    firewalld = node.run(FIREWALLD_ACTIVE)[0] == 0
    conf_text = read_text(NFTABLES_CONF)
    found = {"nft": False, "conf": conf_text is not None, "conf_declares": conf_facts(conf_text), "firewalld": firewalld, "hooks": []}
    if not module.get_bin_path("nft"):
        return found
    try:
        ruleset = json.loads(node.must(NFT_RULESET) or "{}")
    except ValueError as exc:
        raise NodeError("nft -j list ruleset did not print JSON: %s" % exc)
    found.update(nft=True, hooks=input_hooks(ruleset, own_chain))
    return found


def read_clock(units):
    """Whether the kernel calls the clock synchronised, and which of the time services asked in units run."""
    return {"synchronized": kernel_clock_synchronized(),
            "services": [name for name in TIME_SERVICES if (units.get(name) or {}).get("active") == "active"]}


def read_cib_resources(node):
    """The local CIB's resources section (a node whose stack is stopped still has it), "" without a CIB. Only what
    is read out of it leaves the node (addresses, DRBD resource names): the resources' other parameters may be secrets."""
    rc, out, dummy = node.run(CIB_RESOURCES)
    return out if rc == 0 else ""


def _strip(value):
    return value.strip() if value is not None else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="path", default=[]),
            devices=dict(type="list", elements="path", default=[]),
            read=dict(type="list", elements="path", default=[]),
            packages=dict(type="list", elements="str", default=[]),
            units=dict(type="list", elements="str", default=[]),
            sysctls=dict(type="list", elements="str", default=[]),
            mounts=dict(type="list", elements="path", default=[]),
            disks=dict(type="list", elements="path", default=[]),
            host=dict(type="bool", default=False),
            fence_agents=dict(type="bool", default=False),
            firewall_chain=dict(type="str"),
            status=dict(type="dict", options=dict(
                settle_groups=dict(type="list", elements="str", default=[]),
                idle=dict(type="bool", default=False),
                pair=dict(type="bool", default=False))),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, read_state))


if __name__ == "__main__":
    main()
