"""The README's example inventory (inventories/example, with vault.yml.example for the vault) passes the roles'
argument specs and input checks, as site.yml's first play runs them, with each node holding its own addresses
and a synchronised clock. The README cannot drift from the code unnoticed."""
import os

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.twonode.ha.plugins.filter.cluster import cluster_input_errors
from ansible_collections.twonode.ha.plugins.filter.resources import resources_input_errors
from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import time_sync_errors
from ansible_collections.twonode.ha.plugins.plugin_utils.firewall_plan import firewall_errors, pair_openings

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "inventories/example")
ROLES = ("cluster", "resources")


def _yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def _spec_options(options):
    """argument_specs options as ArgumentSpecValidator takes them (description and the like left out)."""
    keep = ("type", "elements", "choices", "required", "default", "options", "aliases", "no_log")
    out = {}
    for name, spec in options.items():
        spec = dict((k, v) for k, v in spec.items() if k in keep)
        if "options" in spec:
            spec["options"] = _spec_options(spec["options"])
        out[name] = spec
    return out


def example_hosts():
    """{host: every variable of the example for it, templated, over the roles' defaults}."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(EXAMPLE, "hosts.yml")])
    variables = VariableManager(loader=loader, inventory=inventory)
    # Through Ansible's loader: its templates are then trusted, as in a play.
    variables._extra_vars = loader.load_from_file(os.path.join(EXAMPLE, "group_vars/ha_pair/vault.yml.example"), trusted_as_template=True)
    variables._hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    defaults = {}
    for role in ROLES:
        defaults.update(loader.load_from_file(os.path.join(REPO, "roles", role, "defaults/main.yml"), trusted_as_template=True) or {})
    hosts = {}
    for host in inventory.get_hosts("ha_pair"):
        merged = dict(defaults, **variables.get_vars(host=host))
        templar = Templar(loader=loader, variables=merged)
        hosts[host.name] = dict((key, templar.template(value)) for key, value in merged.items()
                                if key in defaults or key.startswith(("cluster_", "resources_", "drbd_")))
    return hosts


def test_the_example_inventory_passes_the_roles_argument_specs():
    hosts = example_hosts()
    assert sorted(hosts) == ["alpha", "beta"]
    for role in ROLES:
        spec = _yaml(os.path.join(REPO, "roles", role, "meta/argument_specs.yml"))["argument_specs"]["main"]
        options = _spec_options(spec["options"])
        for name, values in hosts.items():
            given = dict((key, value) for key, value in values.items() if key in options)
            result = ArgumentSpecValidator(options).validate(given)
            assert result.error_messages == [], (role, name, result.error_messages)


def test_the_example_inventory_passes_the_input_checks():
    hosts = example_hosts()
    members = []
    for name, values in hosts.items():
        members.append({"host": name, "node_name": values["cluster_node_name"],
                        "ring0_addr": values["cluster_ring0_addr"], "ring1_addr": values["cluster_ring1_addr"],
                        # each server has its two addresses (and the BMC network is elsewhere)
                        "addresses": [values["cluster_ring0_addr"], values["cluster_ring1_addr"]],
                        "metrics_address": values.get("cluster_metrics_address", ""),
                        "clock": {"synchronized": True, "services": ["chrony"]}})
    alpha = hosts["alpha"]
    assert cluster_input_errors(members, alpha["cluster_fence_devices"], alpha["cluster_outage_tolerance"],
                                alpha["cluster_i_accept_data_loss_without_fencing"], alpha["cluster_start_delay"],
                                cluster_name=alpha["cluster_name"], properties=alpha["cluster_properties"],
                                race_delay=alpha["cluster_fence_race_delay"]) == []
    assert time_sync_errors(members, alpha["cluster_require_time_sync"]) == []
    nodes = [{"name": m["node_name"], "service_network": "192.0.2.0/24", "addresses": m["addresses"]} for m in members]
    assert resources_input_errors(alpha["resources_groups"], nodes) == []
    # A default-drop nftables firewall on both servers: the role can open it (nothing refused).
    members = [dict(m, drbd_address=m["ring1_addr"]) for m in members]
    openings = pair_openings(members, alpha.get("drbd_resources", []), alpha["resources_groups"],
                             alpha["cluster_firewall_clients"], alpha["cluster_metrics_clients"])
    dropping_chain = {"family": "inet", "table": "filter", "chain": "input", "owner": "nft", "jumps": False, "loaded": False}
    drop = {"nft": True, "conf": True, "firewalld": False, "hooks": [dropping_chain]}
    assert firewall_errors(openings, {"alpha": drop, "beta": drop}, alpha["resources_groups"],
                           alpha["cluster_firewall_clients"], alpha["cluster_metrics_clients"]) == []
    assert [o["why"] for o in openings["alpha"]][-1] == "group web-mail"
    # The BMC passwords come from the vault file, never from the inventory itself.
    assert [d["params"]["password"] for d in alpha["cluster_fence_devices"]] == ["change-me", "change-me"]
