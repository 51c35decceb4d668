"""An inventory of many pairs as Ansible loads it (inventories/testbed/fleet.yml, with the testbed's group_vars):
each node's pair is the two hosts of its child group, found through cluster_name in the real hostvars."""
import os

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import pair_break, pair_hosts, pair_names

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _hostvars(inventory_file):
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(REPO, inventory_file)])
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    return [host.name for host in inventory.get_hosts("ha_pair")], hostvars


def test_each_node_of_the_fleet_finds_its_own_pair():
    play, hostvars = _hostvars("inventories/testbed/fleet.yml")
    assert play == ["node1", "node2", "node3", "node4"]
    assert pair_hosts(hostvars, play, "node2") == ["node1", "node2"]
    assert pair_hosts(hostvars, play, "node3") == ["node3", "node4"]
    assert pair_names(play, hostvars) == ["testbed", "testbed_b"]
    # node4 unreachable: its pair stops, the other goes on.
    active = ["node1", "node2", "node3"]
    assert pair_break(pair_hosts(hostvars, play, "node3"), active) is not None
    assert pair_break(pair_hosts(hostvars, play, "node1"), active) is None


def test_the_single_pair_inventory_is_one_pair():
    play, hostvars = _hostvars("inventories/testbed/hosts.yml")
    assert pair_hosts(hostvars, play, "node1") == play == ["node1", "node2"]
    assert pair_names(play, hostvars) == ["testbed"]


def test_the_pair_map_reads_each_host_once_and_agrees_with_pair_hosts():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import pair_map
    play, hostvars = _hostvars("inventories/testbed/fleet.yml")

    class Counting(dict):
        reads = 0

        def get(self, key, default=None):
            Counting.reads += 1
            return hostvars.get(key, default)

    mapped = pair_map(Counting(), play)
    assert Counting.reads == len(play)
    assert mapped == dict((host, pair_hosts(hostvars, play, host)) for host in play)
