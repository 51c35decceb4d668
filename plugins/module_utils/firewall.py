# -*- coding: utf-8 -*-
# Copyright: (c) 2026, twonode.ha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a node's nftables ruleset does with packets that come in, read from ``nft -j list ruleset``.

nftables runs every base chain on a hook: an accept in a table of our own would not get a packet past
another table's drop. So the pair's openings go into a chain of their own inside each table whose
input chain drops, and that chain is jumped to from there. Pure functions, unit tested on real output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NFT_RULESET = ["nft", "-j", "list", "ruleset"]
FIREWALLD_ACTIVE = ["systemctl", "is-active", "--quiet", "firewalld"]
NFTABLES_CONF = "/etc/nftables.conf"
FAMILIES = ("inet", "ip", "ip6")
# Statements that do not decide anything: a rule made only of these and a drop drops everything.
_NEUTRAL = ("counter", "log", "limit")


def nft_objects(ruleset):
    """The chains by (family, table, name) and each chain's rules, in order."""
    chains, rules = {}, {}
    for item in (ruleset or {}).get("nftables", []):
        if "chain" in item:
            chain = item["chain"]
            chains[(chain["family"], chain["table"], chain["name"])] = chain
        elif "rule" in item:
            rule = item["rule"]
            rules.setdefault((rule["family"], rule["table"], rule["chain"]), []).append(rule)
    return chains, rules


def _drops_everything(statements):
    """A rule without a match whose verdict is drop or reject (the last rule of a chain with policy accept)."""
    if not statements:
        return False
    verdict = statements[-1]
    return ("drop" in verdict or "reject" in verdict) and all(
        list(statement)[0] in _NEUTRAL for statement in statements[:-1])


def _jumps_to(statements, target):
    return any(statement.get("jump", {}).get("target") == target or statement.get("goto", {}).get("target") == target
               for statement in statements if isinstance(statement, dict))


def _owner(family, table, chains, rules):
    """Who keeps this table: iptables-nft and firewalld write nftables tables of their own, which another tool must not edit."""
    if table == "firewalld":
        return "firewalld"
    # iptables-nft's own matches and targets show as "xt" statements.
    for (chain_family, chain_table, dummy), chain_rules in rules.items():
        if (chain_family, chain_table) == (family, table) and any(
                "xt" in statement for rule in chain_rules for statement in rule.get("expr") or []):
            return "iptables"
    if family in ("ip", "ip6") and table in ("filter", "raw", "mangle", "security") and \
            (family, table, "INPUT") in chains:
        return "iptables"
    return "nft"


def input_hooks(ruleset, own_chain):
    """Each filter chain on the input hook that drops what its rules do not accept (policy drop, or a last
    rule that drops or rejects everything), in the ruleset's order: its family, table and name, who keeps
    it (nft, iptables, firewalld), whether it jumps to own_chain already (and the handles of those rules)
    and whether own_chain is loaded in its table. Chains that accept what they do not match let the pair through and are left out."""
    chains, rules = nft_objects(ruleset)
    hooks = []
    for (family, table, name), chain in chains.items():
        if family not in FAMILIES or chain.get("hook") != "input" or chain.get("type", "filter") != "filter":
            continue
        chain_rules = rules.get((family, table, name), [])
        if chain.get("policy") != "drop" and not (chain_rules and _drops_everything(chain_rules[-1].get("expr") or [])):
            continue
        jump_handles = [rule.get("handle") for rule in chain_rules if _jumps_to(rule.get("expr") or [], own_chain)]
        hooks.append({"family": family, "table": table, "chain": name,
                      "owner": _owner(family, table, chains, rules),
                      "jumps": bool(jump_handles), "jump_handles": jump_handles,
                      "loaded": (family, table, own_chain) in chains})
    return hooks


# firewalld keeps its own nftables table: the pair's openings go in as rich rules instead, which it keeps
# across its reloads and boots. Each is one source, one destination and one port, in firewalld's own
# canonical form (what --list-rich-rules prints), so that a rule the module added is recognised.
FIREWALL_CMD = "firewall-cmd"


def parse_active_zones(text):
    """`firewall-cmd --get-active-zones`: the zones that have interfaces or sources bound, in order."""
    # firewalld 2.1 and later mark the default zone: "public (default)".
    return [line.split()[0] for line in (text or "").splitlines() if line.strip() and not line.startswith((" ", "\t"))]


def parse_rich_rules(text):
    """`firewall-cmd --list-rich-rules`: one rule per line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def zone_changes(current, wanted, previous):
    """{zone: {"add": [...], "remove": [...]}} for zones that change: every wanted rule in every zone, and the
    rules this module added before (previous) that are no longer wanted taken out. Another tool's rules stay."""
    changes = {}
    for zone in sorted(current):
        have = current[zone]
        add = [rule for rule in wanted if rule not in have]
        remove = [rule for rule in previous if rule in have and rule not in wanted]
        if add or remove:
            changes[zone] = {"add": add, "remove": remove}
    return changes


_CONF_TABLE = re.compile(r"^\s*table\s+(?:(inet|ip|ip6|arp|bridge|netdev)\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*\{", re.MULTILINE)
_CONF_FLUSH = re.compile(r"^\s*flush\s+ruleset\b", re.MULTILINE)


def conf_facts(text):
    """What /etc/nftables.conf declares: its tables ([family, name], family ip when it names none) and whether it
    flushes the ruleset first (without that, each reload would add the pair's jump once more)."""
    if text is None:
        return {"tables": [], "flushes": False}
    return {"tables": [[family or "ip", name] for family, name in _CONF_TABLE.findall(text)],
            "flushes": bool(_CONF_FLUSH.search(text))}
