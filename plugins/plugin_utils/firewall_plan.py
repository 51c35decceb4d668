# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the pair needs through its hosts' firewalls, and the nftables text that opens exactly that.

Pure: the cluster role hands in the members, the DRBD resources, the resource groups and what each
host's ruleset does (module_utils/firewall.py reads it on the host); it gets back the openings per host,
the problems in plain words, and the text of the file each host loads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import metrics_address

# knet binds link N to the base port plus N (corosync.conf(5), mcastport); the role sets no base port.
COROSYNC_BASE_PORT = 5405
# The ports the role's own services listen on; a group's "ports" replaces them.
SERVICE_PORTS = {"nginx": ["80/tcp", "443/tcp"], "postfix": ["25/tcp"]}
_PORT = re.compile(r"^([0-9]{1,5})(?:/(tcp|udp))?$")


def chain_name(cluster_name):
    """The chain the pair's openings live in (nftables names: letters, digits, underscores)."""
    return "twonode_ha_" + re.sub(r"[^A-Za-z0-9_]", "_", str(cluster_name))


def rules_path(cluster_name):
    return "/etc/nftables.d/twonode-ha-%s.nft" % cluster_name


def parse_port(value):
    """(port, protocol) of 80, "80" or "53/udp"; None when it is not one."""
    match = _PORT.match(str(value).strip())
    if not match or not 0 < int(match.group(1)) < 65536:
        return None
    return int(match.group(1)), match.group(2) or "tcp"


def _network(value):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


def _service_name(service):
    return service if isinstance(service, str) else (service or {}).get("name", "")


def group_ports(group):
    """The ports a group's clients reach on its virtual IPs: its own "ports", else those of nginx and postfix in it."""
    if isinstance(group.get("ports"), list):
        return list(group["ports"])
    ports = []
    for service in group.get("services") or []:
        ports.extend(port for port in SERVICE_PORTS.get(_service_name(service), []) if port not in ports)
    return ports


def input_errors(groups, clients, metrics_clients):
    """Problems with the firewall's inputs: ports and client networks that are not ones."""
    errors = []
    for where, networks in [("cluster_firewall_clients", clients), ("cluster_metrics_clients", metrics_clients)] + [
            ("resources_groups %s: clients" % group.get("name"), group["clients"])
            for group in _dicts(groups) if group.get("clients") is not None]:
        if not isinstance(networks, list):
            errors.append("%s must be a list of networks (10.0.0.0/24, 2001:db8::/64, 0.0.0.0/0 for all)" % where)
            continue
        bad = [str(network) for network in networks if _network(network) is None]
        if bad:
            errors.append("%s: %s is not a network (write 10.0.0.0/24, 192.0.2.7, 2001:db8::/64)" % (where, ", ".join(bad)))
    for group in _dicts(groups):
        ports = group.get("ports")
        if ports is None:
            continue
        bad = [str(port) for port in ports] if not isinstance(ports, list) else [str(p) for p in ports if parse_port(p) is None]
        if bad:
            errors.append("resources_groups %s: ports %s: write each as a number or NUMBER/udp (80, 443, 53/udp)"
                          % (group.get("name"), ", ".join(bad)))
    return errors


def _dicts(items):
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _opening(protocol, ports, sources, destinations, why):
    return {"protocol": protocol, "ports": sorted(set(ports)), "sources": [str(s) for s in sources],
            "destinations": [str(d) for d in destinations], "why": why}


def _by_protocol(ports):
    found = {}
    for port in ports:
        parsed = parse_port(port)
        if parsed:
            found.setdefault(parsed[1], []).append(parsed[0])
    return sorted(found.items())


def node_openings(member, peer, drbd_resources, groups, clients, metrics_clients):
    """What reaches this node: corosync on each link and DRBD from the peer only, the metrics and the groups'
    services (on their virtual IPs, on both nodes: either may hold them) from the networks named for them."""
    openings = [
        _opening("udp", [COROSYNC_BASE_PORT], [peer["ring0_addr"]], [member["ring0_addr"]], "corosync link 0 from %s" % peer["node_name"]),
        _opening("udp", [COROSYNC_BASE_PORT + 1], [peer["ring1_addr"]], [member["ring1_addr"]], "corosync link 1 from %s" % peer["node_name"]),
    ]
    # Malformed entries are the other roles' checks to report; here they open nothing.
    drbd = [resource for resource in _dicts(drbd_resources) if parse_port(resource.get("port", "")) is not None]
    if drbd:
        openings.append(_opening("tcp", [int(resource["port"]) for resource in drbd], [peer["drbd_address"]], [member["drbd_address"]],
                                 "DRBD %s from %s" % (", ".join(str(r.get("name")) for r in drbd), peer["node_name"])))
    metrics = metrics_address(member.get("metrics_address"))
    if metrics and metrics_clients:
        openings.append(_opening("tcp", [metrics[1]], metrics_clients, [metrics[0]], "metrics"))
    return openings + service_openings(groups, clients)


def service_openings(groups, clients):
    """Each group's service ports on its virtual IPs, from its clients (default: clients)."""
    openings = []
    for group in _dicts(groups):
        group_clients = group["clients"] if group.get("clients") is not None else clients
        if not isinstance(group.get("vips"), list) or not group.get("vips") or not isinstance(group_clients, list) or not group_clients:
            continue
        for protocol, ports in _by_protocol(group_ports(group)):
            openings.append(_opening(protocol, ports, group_clients, group["vips"], "group %s" % group["name"]))
    return openings


def arbitrator_openings(members, port, cluster_name):
    """What reaches the arbitrator from this pair: qnetd from both nodes' link addresses (whichever the route picks)."""
    sources = []
    for member in members:
        sources.extend(address for address in (member["ring0_addr"], member["ring1_addr"]) if address not in sources)
    return [_opening("tcp", [int(port)], sources, [], "arbitrator of cluster %s" % cluster_name)]


def pair_openings(members, drbd_resources=None, groups=None, clients=None, metrics_clients=None):
    """{host: openings} for both members (each the other's peer)."""
    result = {}
    for member in members:
        peers = [other for other in members if other["host"] != member["host"]]
        if peers:
            result[member["host"]] = node_openings(member, peers[0], drbd_resources, groups, clients or [], metrics_clients or [])
    return result


def opening_text(opening):
    """One opening in words, for the messages that ask the administrator to open it by hand."""
    return "%s %s from %s%s (%s)" % (
        opening["protocol"], ",".join(str(p) for p in opening["ports"]), ", ".join(opening["sources"]),
        " to " + ", ".join(opening["destinations"]) if opening["destinations"] else "", opening["why"])


def host_errors(host, state, openings):
    """Why the role cannot open this host's firewall itself (another tool keeps it), in words that list the openings."""
    if not state:
        return []
    hooks = state.get("hooks") or []
    # firewalld's own table is opened through firewalld (rich rules); iptables' tables by no one but iptables.
    keepers = sorted(set(hook["owner"] for hook in hooks if hook["owner"] == "iptables"))
    wanted = "; ".join(opening_text(opening) for opening in openings)
    if keepers:
        return ["%s: %s keeps this host's firewall, which the role does not edit: open %s with it, or set "
                "cluster_manage_firewall: false once it is done" % (host, " and ".join(keepers), wanted)]
    nft_hooks = [hook for hook in hooks if hook["owner"] == "nft"]
    if nft_hooks and not state.get("conf"):
        return ["%s: its nftables input chain drops, but /etc/nftables.conf (which the role extends so that a boot "
                "keeps the openings) is missing: save the ruleset there (nft list ruleset), or open %s yourself and set "
                "cluster_manage_firewall: false" % (host, wanted)]
    declares = state.get("conf_declares")
    if nft_hooks and declares is not None:
        # A boot loads the file, not what runs now: the jump into a chain the file does not make would fail the whole load.
        missing = ["%s %s" % (hook["family"], hook["table"]) for hook in nft_hooks
                   if [hook["family"], hook["table"]] not in declares.get("tables", [])]
        if missing:
            return ["%s: the table of its dropping input chain (%s) is not in /etc/nftables.conf, which a boot loads: save "
                    "the running ruleset there, or open %s yourself and set cluster_manage_firewall: false"
                    % (host, ", ".join(missing), wanted)]
        if not declares.get("flushes"):
            return ["%s: /etc/nftables.conf does not begin with flush ruleset, so each reload would add its rules (and the "
                    "pair's jump) once more: add it at the top, or open %s yourself and set cluster_manage_firewall: false"
                    % (host, wanted)]
    return []


def _families(values):
    """The networks per IP version, merged (10.0.0.0/8 holds 10.1.0.0/16: nft refuses overlaps in a set)."""
    networks = {4: [], 6: []}
    for value in values:
        network = _network(value)
        if network is not None:
            networks[network.version].append(network)
    return dict((version, [str(n) if n.prefixlen != n.max_prefixlen else str(n.network_address)
                           for n in ipaddress.collapse_addresses(found)]) for version, found in networks.items())


def _one_or_set(values):
    return values[0] if len(values) == 1 else "{ %s }" % ", ".join(str(v) for v in values)


def rule_lines(openings, family):
    """The nft rules of the openings a table of this family can hold (ip: IPv4, ip6: IPv6, inet: both)."""
    lines = []
    versions = {"ip": [4], "ip6": [6], "inet": [4, 6]}[family]
    for opening in openings:
        sources, destinations = _families(opening["sources"]), _families(opening["destinations"])
        for version in versions:
            if not sources[version] or (opening["destinations"] and not destinations[version]):
                continue
            prefix = "ip" if version == 4 else "ip6"
            match = "%s saddr %s " % (prefix, _one_or_set(sources[version]))
            if destinations[version]:
                match += "%s daddr %s " % (prefix, _one_or_set(destinations[version]))
            lines.append('%s%s dport %s accept comment "%s"' % (
                match, opening["protocol"], _one_or_set(opening["ports"]), re.sub(r'[^A-Za-z0-9 ,._:/-]', "", opening["why"])[:120]))
    return lines


def nft_rules_text(openings, hooks, chain, cluster_name):
    """The file the host loads: the chain in each table whose input chain drops, emptied and filled again in one
    transaction, so that loading it twice (a reload, a rerun) leaves each rule once."""
    out = ["#!/usr/sbin/nft -f",
           "# twonode.ha, cluster %s: what the pair needs through this host's firewall, and nothing more." % cluster_name,
           "# Written by Ansible (roles/cluster, firewall.yml) and replaced on each run; /etc/nftables.conf includes it",
           "# at its end, and each input chain that drops jumps to %s first." % chain]
    for family, table in _tables(hooks):
        out += ["", "table %s %s {" % (family, table), "\tchain %s {" % chain, "\t}", "}",
                "flush chain %s %s %s" % (family, table, chain),
                "table %s %s {" % (family, table), "\tchain %s {" % chain]
        out += ["\t\t" + line for line in rule_lines(openings, family)]
        out += ["\t}", "}"]
    return "\n".join(out) + "\n"


def _tables(hooks):
    tables = []
    for hook in hooks:
        if (hook["family"], hook["table"]) not in tables:
            tables.append((hook["family"], hook["table"]))
    return tables


def conf_block(hooks, chain, cluster_name):
    """The lines /etc/nftables.conf gets at its end: the file, then a jump at the top of each input chain that drops."""
    lines = ['include "%s"' % rules_path(cluster_name)]
    lines += ["insert rule %s %s %s jump %s" % (hook["family"], hook["table"], hook["chain"], chain) for hook in hooks]
    return "\n".join(lines)


def firewall_errors(openings_by_host, states_by_host, groups=None, clients=None, metrics_clients=None):
    """Every problem with the firewall's inputs and with the hosts whose firewall the role cannot open."""
    errors = input_errors(groups, clients if clients is not None else [], metrics_clients if metrics_clients is not None else [])
    for host in sorted(openings_by_host):
        errors += host_errors(host, (states_by_host or {}).get(host), openings_by_host[host])
    return errors


def host_plan(state, openings, cluster_name):
    """What one host gets: the rules file, the block /etc/nftables.conf ends with (and its marker), and the jumps
    the live ruleset lacks; where firewalld runs, the rich rules it keeps and the file that records them. acts is
    false where no input chain drops and firewalld does not run: the pair gets through as it is. Only the chains
    nft keeps are counted: iptables' and firewalld's tables are theirs to edit."""
    hooks = [hook for hook in (state or {}).get("hooks") or [] if hook.get("owner", "nft") == "nft"]
    chain = chain_name(cluster_name)
    firewalld = bool((state or {}).get("firewalld"))
    return {"acts": bool(hooks) or firewalld, "hooks": hooks, "conf": bool((state or {}).get("conf")), "chain": chain, "path": rules_path(cluster_name),
            "marker": "# {mark} twonode.ha cluster %s: the pair's openings (written by Ansible)" % cluster_name,
            "firewalld": firewalld, "rich_rules": rich_rules(openings) if firewalld else [],
            "firewalld_record": "/var/lib/twonode/firewalld-%s.rules" % cluster_name,
            "rules": nft_rules_text(openings, hooks, chain, cluster_name) if hooks else "",
            "conf_block": conf_block(hooks, chain, cluster_name) if hooks else "",
            "jumps_missing": [hook for hook in hooks if not hook.get("jumps")],
            "loaded": bool(hooks) and all(hook.get("loaded") for hook in hooks)}


def rich_rules(openings):
    """The openings as firewalld rich rules in its canonical form, one per source, destination and port."""
    rules = []
    for opening in openings or []:
        for source in opening["sources"]:
            network = _network(source)
            if network is None:
                continue
            family = "ipv4" if network.version == 4 else "ipv6"
            source_text = str(network) if network.prefixlen != network.max_prefixlen else str(network.network_address)
            destinations = [d for d in opening["destinations"] if (_network(d) or network).version == network.version] \
                if opening["destinations"] else [None]
            for destination in destinations:
                for port in opening["ports"]:
                    rule = 'rule family="%s" source address="%s"' % (family, source_text)
                    if destination:
                        rule += ' destination address="%s"' % destination
                    rule += ' port port="%s" protocol="%s" accept' % (port, opening["protocol"])
                    if rule not in rules:
                        rules.append(rule)
    return rules
