"""The server's address handed over to its group: the persistent network files rewritten from the old address to the
new one, on the formats Debian servers use (ifupdown's interfaces, systemd-networkd as on the VM bed)."""
from ansible_collections.twonode.ha.plugins.module_utils.address_handover import handover_edits

IFUPDOWN = """# The primary network interface
auto ens18
iface ens18 inet static
\taddress 192.0.2.10/24
\tgateway 192.0.2.1
\tdns-nameservers 192.0.2.1

source /etc/network/interfaces.d/*
"""

IFUPDOWN_NETMASK = """auto eth0
iface eth0 inet static
    address 192.0.2.10
    netmask 255.255.255.0
    gateway 192.0.2.1
"""

# As tests/bed/vm-image.sh writes it on the VM bed.
NETWORKD = "[Match]\nName=ens4\n[Network]\nAddress=10.213.30.11/24\n"


def test_ifupdown_gets_the_new_address_with_the_prefix_kept():
    plan = handover_edits({"/etc/network/interfaces": IFUPDOWN}, "192.0.2.10", "192.0.2.21")
    assert plan["problems"] == [] and plan["where"] == ["/etc/network/interfaces:4"]
    assert plan["edits"]["/etc/network/interfaces"] == IFUPDOWN.replace("address 192.0.2.10/24", "address 192.0.2.21/24")


def test_ifupdown_with_a_netmask_line_keeps_it():
    plan = handover_edits({"/etc/network/interfaces": IFUPDOWN_NETMASK}, "192.0.2.10", "192.0.2.21")
    assert plan["edits"]["/etc/network/interfaces"] == IFUPDOWN_NETMASK.replace("address 192.0.2.10\n", "address 192.0.2.21\n")


def test_networkd_as_on_the_vm_bed():
    files = {"/etc/systemd/network/10-host.network": "[Match]\nName=ens3\n[Network]\nDHCP=ipv4\n",
             "/etc/systemd/network/20-service.network": NETWORKD}
    plan = handover_edits(files, "10.213.30.11", "10.213.30.21")
    assert plan["problems"] == []
    assert plan["edits"] == {"/etc/systemd/network/20-service.network": NETWORKD.replace("10.213.30.11", "10.213.30.21")}


def test_a_longer_address_that_starts_alike_is_not_the_address():
    text = "iface eth0 inet static\n  address 192.0.2.100/24\n"
    plan = handover_edits({"/etc/network/interfaces": text}, "192.0.2.10", "192.0.2.21")
    assert plan["edits"] == {} and "is in none of the server's network files" in plan["problems"][0]


def test_refusals_leave_nothing_to_change():
    dhcp = handover_edits({"/etc/network/interfaces": "auto eth0\niface eth0 inet dhcp\n"}, "192.0.2.10", "192.0.2.21")
    assert dhcp["edits"] == {} and "comes from DHCP (/etc/network/interfaces)" in dhcp["problems"][0]
    netplan = handover_edits({"/etc/netplan/50-cloud-init.yaml": "network:\n  ethernets:\n    eth0:\n      addresses: [192.0.2.10/24]\n"},
                             "192.0.2.10", "192.0.2.21")
    assert netplan["edits"] == {} and "(netplan), which this handover does not edit" in netplan["problems"][0]
    twice = handover_edits({"/etc/network/interfaces": IFUPDOWN, "/etc/network/interfaces.d/extra": "iface ens18 inet static\n address 192.0.2.10/24\n"},
                           "192.0.2.10", "192.0.2.21")
    assert twice["edits"] == {} and "configured more than once (/etc/network/interfaces:4, /etc/network/interfaces.d/extra:2)" in twice["problems"][0]
    taken = handover_edits({"/etc/network/interfaces": IFUPDOWN + "iface ens18 inet static\n address 192.0.2.21/24\n"},
                           "192.0.2.10", "192.0.2.21")
    assert taken["edits"] == {} and "already in the server's network files" in taken["problems"][-1]


def test_a_handover_done_before_is_done():
    done = IFUPDOWN.replace("192.0.2.10/24", "192.0.2.21/24")
    plan = handover_edits({"/etc/network/interfaces": done}, "192.0.2.10", "192.0.2.21")
    assert plan == {"edits": {}, "where": [], "done": True, "problems": []}


def test_which_interface_holds_each_address(fixture_text):
    from ansible_collections.twonode.ha.plugins.module_utils.address_handover import ipv4_addresses
    found = ipv4_addresses(IP_JSON)
    assert found["10.213.30.11"] == {"interface": "ens4", "prefix": 24, "secondary": False}
    assert found["10.213.30.21"] == {"interface": "ens4", "prefix": 24, "secondary": True}
    assert "127.0.0.1" in found and found["10.0.2.15"]["interface"] == "ens3"


def test_which_interface_holds_each_address_on_a_vm_bed_guest(fixture_text):
    """`ip -json -4 address show` captured on vm1 (Debian 13): its service address on ens4, no secondary."""
    from ansible_collections.twonode.ha.plugins.module_utils.address_handover import ipv4_addresses
    found = ipv4_addresses(fixture_text("ip_json_4_address_show_vm1.json"))
    assert found["10.213.30.11"] == {"interface": "ens4", "prefix": 24, "secondary": False}
    assert found["10.213.40.11"]["interface"] == "ens5" and found["10.0.2.15"]["interface"] == "ens3"


# The same guest's shape with a second address on ens4 (as `ip address add 10.213.30.21/24 dev ens4` leaves it,
# marked "secondary" by iproute2), written from the capture above, lifetimes left out.
IP_JSON = (
    '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN",'
    '"group":"default","txqlen":1000,"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},'
    '{"ifindex":2,"ifname":"ens3","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel",'
    '"operstate":"UP","group":"default","txqlen":1000,"addr_info":[{"family":"inet","local":"10.0.2.15","prefixlen":24,'
    '"broadcast":"10.0.2.255","scope":"global","dynamic":true,"label":"ens3"}]},'
    '{"ifindex":3,"ifname":"ens4","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel",'
    '"operstate":"UP","group":"default","txqlen":1000,"addr_info":[{"family":"inet","local":"10.213.30.11","prefixlen":24,'
    '"broadcast":"10.213.30.255","scope":"global","label":"ens4"},{"family":"inet","local":"10.213.30.21","prefixlen":24,'
    '"scope":"global","secondary":true,"label":"ens4"}]}]')
