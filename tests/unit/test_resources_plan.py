import pytest

from ansible_collections.twonode.ha.plugins.filter.resources import (
    resources_cib_objects,
    resources_input_errors,
)
from ansible_collections.twonode.ha.plugins.plugin_utils.resources_plan import (
    boot_units, cib_objects, postfix_ha_settings, postfix_main_cf, postfix_main_cf_values, services_used)

NODES = [
    {"name": "node1", "service_network": "10.213.10.0/24", "addresses": ["10.213.10.11", "10.213.20.11"]},
    {"name": "node2", "service_network": "10.213.10.0/24", "addresses": ["10.213.10.12", "10.213.20.12"]},
]
DEFAULTS = {"stickiness": 100, "migration_threshold": 3, "failure_timeout": "120s", "preferred_score": 50}


def group(**extra):
    base = {"name": "services", "vips": ["10.213.10.100"], "services": ["nginx", "postfix"],
            "mail_domain": "testbed.example", "preferred_node": "node1"}
    base.update(extra)
    return base


def test_testbed_group_is_fine():
    assert resources_input_errors([group()], NODES) == []


@pytest.mark.parametrize("vips,message", [
    (["10.213.11.5"], "is outside node1's service network 10.213.10.0/24"),
    (["10.213.10.12"], "is an address of node node2 itself"),
    (["10.213.10.255"], "is the network or broadcast address of 10.213.10.0/24"),
    (["10.213.10.0"], "is the network or broadcast address"),
    (["10.213.10.300"], "is not an IP address"),
    (["vip.example"], "is not an IP address"),
])
def test_bad_vips(vips, message):
    errors = resources_input_errors([group(vips=vips)], NODES)
    assert any(message in e for e in errors), errors
    assert all(e.startswith("group 'services': virtual IP") for e in errors)


def test_vip_used_twice():
    groups = [group(), group(name="other", services=[], vips=["10.213.10.100"])]
    assert resources_input_errors(groups, NODES) == [
        "group 'other': virtual IP '10.213.10.100' is also used by group 'services'"]


def test_nodes_on_different_service_networks():
    nodes = [NODES[0], dict(NODES[1], service_network="10.213.30.0/24")]
    errors = resources_input_errors([group()], nodes)
    assert any("service networks differ" in e for e in errors)


@pytest.mark.parametrize("changes,message", [
    ({"services": ["apache"]}, "service 'apache' is not one the role knows (nginx, postfix)"),
    ({"services": [{"name": "cron"}]}, "needs a name and an agent"),
    ({"mail_domain": None}, "postfix needs mail_domain"),
    ({"preferred_node": "node3"}, "preferred_node 'node3' is not a node of this cluster (node1, node2)"),
    ({"failure_timeout": "soon"}, "failure_timeout: 'soon' is not a duration"),
    ({"migration_threshold": -1}, "migration_threshold must be a whole number"),
    ({"name": "9web"}, "is not a valid id"),
    ({"vips": [], "services": []}, "has no virtual IP and no service"),
    ({"storage": {"drbd": "r0"}}, "storage.drbd 'r0' is not one of drbd_resources (none defined)"),
    ({"storage": "r0"}, "storage must be a mapping"),
])
def test_bad_groups(changes, message):
    errors = resources_input_errors([group(**changes)], NODES)
    assert any(message in e for e in errors), errors


def test_a_service_runs_in_one_group_only():
    groups = [group(), group(name="second", vips=["10.213.10.101"], services=["nginx"])]
    assert any("service 'nginx' already runs in group 'services'" in e
               for e in resources_input_errors(groups, NODES))


def test_cib_objects_order_and_meta():
    objects = resources_cib_objects([group(vips=["10.213.10.100", "10.213.10.101"])], "10.213.10.0/24", DEFAULTS)
    (grp,) = objects["groups"]
    member_ids = [m["id"] for m in grp["members"]]
    assert member_ids == ["services-vip1", "services-vip2", "services-nginx", "services-postfix"]
    assert grp["members"][0]["params"] == {"ip": "10.213.10.100", "cidr_netmask": 24}
    assert (grp["members"][2]["class"], grp["members"][2]["type"]) == ("systemd", "nginx")
    assert (grp["members"][3]["provider"], grp["members"][3]["type"]) == ("heartbeat", "postfix")
    assert grp["meta"] == {"resource-stickiness": 100, "migration-threshold": 3, "failure-timeout": "120s",
                           "priority": 1}
    assert objects["constraints"] == [{"kind": "location", "id": "services-prefers-node1", "rsc": "services",
                                       "node": "node1", "score": 50}]
    assert objects["clones"] == []


def test_a_group_weighs_in_the_fence_race_unless_its_priority_is_0():
    objects = resources_cib_objects([group(priority=0), group(name="shop", vips=["10.213.10.101"], services=[],
                                                              priority=10)], "10.213.10.0/24", DEFAULTS)
    assert [g["meta"]["priority"] for g in objects["groups"]] == [0, 10]
    assert any("group 'services': priority must be a whole number, 0 or more (got -1)" in e
               for e in resources_input_errors([group(priority=-1)], NODES))
    assert any("priority must be a whole number" in e for e in resources_input_errors([group(priority="high")], NODES))


def test_custom_service_agent():
    custom = {"name": "cron", "agent": "systemd:cron"}
    objects = resources_cib_objects([group(services=[custom], preferred_node=None)], "10.213.10.0/24", DEFAULTS)
    member = objects["groups"][0]["members"][1]
    assert (member["id"], member["class"], member["type"]) == ("services-cron", "systemd", "cron")
    assert "provider" not in member and objects["constraints"] == []


def test_every_service_of_a_group_is_kept_from_starting_at_boot():
    """Not only the catalogue's: an administrator's own systemd unit, and the unit an OCF agent's daemon
    has when named (the README promised it; only nginx and postfix were disabled)."""
    shop = group(name="shop", vips=["10.213.10.101"], preferred_node=None, mail_domain=None,
                 services=[{"name": "shopapi", "agent": "systemd:shopapi"},
                           {"name": "web", "agent": "ocf:heartbeat:apache", "unit": "apache2"},
                           {"name": "cron", "agent": "ocf:heartbeat:anything", "params": {"binfile": "/bin/true"}}])
    assert boot_units([group(), shop]) == ["nginx", "postfix", "shopapi", "apache2"]
    assert boot_units([group(services=["nginx"]), group(name="b", services=[{"name": "n", "agent": "systemd:nginx"}])]) \
        == ["nginx"]
    assert resources_input_errors([group(), shop], NODES) == []


@pytest.mark.parametrize("unit", ["", "apache2 nginx", ["apache2"], "../x"])
def test_a_custom_service_unit_must_name_one_unit(unit):
    bad = group(services=[{"name": "web", "agent": "ocf:heartbeat:apache", "unit": unit}])
    assert any("unit must name a systemd unit" in e for e in resources_input_errors([bad], NODES))


def test_services_used():
    assert services_used([group()]) == {
        "nginx": {"vips": ["10.213.10.100"], "group": "services", "mail_domain": "testbed.example", "data": None},
        "postfix": {"vips": ["10.213.10.100"], "group": "services", "mail_domain": "testbed.example", "data": None}}


DRBD = [{"name": "r0", "minor": 0, "port": 7789, "disk": "/dev/vdb"},
        {"name": "raw", "minor": 1, "port": 7790, "disk": "/dev/vdc", "filesystem": "none"}]


@pytest.mark.parametrize("storage, message", [
    ({"drbd": "r9", "mountpoint": "/srv"}, "storage.drbd 'r9' is not one of drbd_resources (r0, raw)"),
    ({"drbd": "raw", "mountpoint": "/srv"}, "has filesystem none"),
    ({"drbd": "r0", "mountpoint": "srv"}, "storage.mountpoint must be an absolute directory path"),
    ({"drbd": "r0", "mountpoint": "/"}, "storage.mountpoint must be an absolute directory path"),
])
def test_bad_storage(storage, message):
    errors = resources_input_errors([group(storage=storage)], NODES, DRBD)
    assert any(message in e for e in errors), errors


def test_one_drbd_resource_serves_one_group():
    groups = [group(storage={"drbd": "r0", "mountpoint": "/srv/a"}),
              group(name="second", vips=["10.213.10.101"], services=[], storage={"drbd": "r0", "mountpoint": "/srv/b"})]
    errors = resources_input_errors(groups, NODES, DRBD)
    assert any("already the storage of group 'services'" in e for e in errors), errors


def test_a_group_on_drbd_starts_with_its_filesystem_where_drbd_is_promoted():
    storage_group = group(storage={"drbd": "r0", "mountpoint": "/srv/services", "options": "noatime"})
    assert resources_input_errors([storage_group], NODES, DRBD) == []
    objects = cib_objects([storage_group], 24, DEFAULTS, drbd_resources=DRBD)
    members = objects["groups"][0]["members"]
    assert [m["id"] for m in members] == ["services-fs", "services-vip1", "services-nginx", "services-postfix"]
    assert members[0]["type"] == "Filesystem" and members[0]["params"] == {
        "device": "/dev/drbd0", "directory": "/srv/services", "fstype": "ext4", "options": "noatime"}
    (clone,) = objects["clones"]
    assert clone["id"] == "services-drbd-clone" and clone["promotable"] is True
    assert clone["primitive"]["type"] == "drbd" and clone["primitive"]["params"] == {"drbd_resource": "r0"}
    assert clone["meta"]["promoted-max"] == "1" and clone["meta"]["notify"] == "true"
    assert {op["role"] for op in clone["primitive"]["ops"] if op["name"] == "monitor"} == {"Promoted", "Unpromoted"}
    kinds = {c["kind"]: c for c in objects["constraints"]}
    assert kinds["colocation"]["rsc"] == "services" and kinds["colocation"]["with-rsc"] == "services-drbd-clone"
    assert kinds["colocation"]["with-rsc-role"] == "Promoted" and kinds["colocation"]["score"] == "INFINITY"
    assert (kinds["order"]["first"], kinds["order"]["first-action"], kinds["order"]["then"]) == \
        ("services-drbd-clone", "promote", "services")
    assert services_used([storage_group])["nginx"]["data"] == "/srv/services/www"
    assert services_used([storage_group])["postfix"]["data"] == "/srv/services/mail"


def test_a_custom_service_keeps_its_secrets_apart():
    custom = {"name": "app", "agent": "ocf:heartbeat:anything",
              "params": {"binfile": "/usr/bin/app", "cmdline_options": "--token=abc", "db_password": "pw"},
              "secret_params": ["cmdline_options"]}
    objects = resources_cib_objects([group(services=[custom], preferred_node=None)], "10.213.10.0/24", DEFAULTS)
    member = objects["groups"][0]["members"][1]
    assert member["params"] == {"binfile": "/usr/bin/app"}
    assert member["secrets"] == {"cmdline_options": "--token=abc", "db_password": "pw"}


@pytest.mark.parametrize("extra,message", [
    # A mapping here once reached no agent at all: the value was neither in params nor in secrets.
    ({"secret_params": {"passwd": "S3cret"}},
     "service 'dummy': secret_params must be a list of parameter names whose values are in params (got dict)"),
    ({"secret_params": ["passwd"]}, "service 'dummy': secret_params names passwd, which params does not set"),
    ({"params": ["passwd=S3cret"]}, "service 'dummy': params must be a mapping of agent parameters"),
])
def test_custom_service_secrets_that_would_reach_no_agent_are_refused(extra, message):
    dummy = dict({"name": "dummy", "agent": "ocf:pacemaker:Dummy"}, **extra)
    errors = resources_input_errors([group(services=[dummy], preferred_node=None)], NODES)
    assert [e for e in errors if message in e], errors


def test_a_bad_agent_is_named_without_the_services_secrets():
    # The message reaches the assert's fail_msg, which Ansible prints at any verbosity.
    typo = {"name": "dummy", "agent": "ocf:pacemaker", "params": {"passwd": "S3cret"}, "secret_params": ["passwd"]}
    errors = resources_input_errors([group(services=[typo], preferred_node=None)], NODES)
    assert [e for e in errors if "service {'name': 'dummy', 'agent': 'ocf:pacemaker'} needs a name and an agent" in e], errors
    assert "S3cret" not in " ".join(errors)


def test_custom_service_secret_named_and_given_is_fine():
    dummy = {"name": "dummy", "agent": "ocf:pacemaker:Dummy", "params": {"passwd": "S3cret"}, "secret_params": ["passwd"]}
    assert resources_input_errors([group(services=[dummy], preferred_node=None)], NODES) == []


def _timeouts(objects):
    found = {}
    for member in objects["groups"][0]["members"]:
        found[member["id"]] = [(op["name"], op.get("timeout")) for op in member["ops"]]
    for clone in objects["clones"]:
        found[clone["primitive"]["id"]] = [(op["name"], op.get("timeout")) for op in clone["primitive"]["ops"]]
    return found


def test_a_timeout_factor_scales_the_collections_operations_only():
    # An emulated Debian 13 guest needed more than the VIP monitor's 20 s and postfix's 60 s stop.
    own_ops = [{"name": "monitor", "interval": "15s", "timeout": "25s"}]
    services = ["nginx", "postfix", {"name": "app", "agent": "systemd:app"},
                {"name": "api", "agent": "systemd:api", "ops": own_ops}]
    storage_group = group(services=services, storage={"drbd": "r0", "mountpoint": "/srv/services"})
    plain = _timeouts(cib_objects([storage_group], 24, DEFAULTS, drbd_resources=DRBD))
    slow = _timeouts(resources_cib_objects([storage_group], "10.213.10.0/24", dict(DEFAULTS, timeout_factor="3"),
                                           drbd_resources=DRBD))
    assert plain["services-vip1"] == [("monitor", "20s"), ("start", "20s"), ("stop", "20s")]
    assert slow["services-vip1"] == [("monitor", "60s"), ("start", "60s"), ("stop", "60s")]
    assert slow["services-postfix"] == [("monitor", "180s"), ("start", "180s"), ("stop", "180s")]
    assert ("start", "720s") in slow["services-drbd"] and ("monitor", "120s") in slow["services-fs"]
    assert slow["services-app"] == [("monitor", "180s")]
    assert slow["services-api"] == plain["services-api"] == [("monitor", "25s")]
    half = _timeouts(cib_objects([group()], 24, dict(DEFAULTS, timeout_factor=1.5)))
    assert half["services-vip1"][0] == ("monitor", "30s")


@pytest.mark.parametrize("factor", [0, 0.5, 11, "fast", True, None])
def test_a_bad_timeout_factor_is_refused(factor):
    errors = resources_input_errors([group()], NODES, timeout_factor=factor)
    assert errors == ["resources_timeout_factor must be a number from 1 to 10 (got %r)" % (factor,)]


BED_POSTFIX = {"vips": ["10.213.10.100"], "group": "services", "mail_domain": "testbed.example", "data": None}


def test_a_pair_deployed_before_keeps_its_main_cf_as_it_is(fixture_text):
    """main.cf the role wrote before (its old template, read on the container bed): nothing to change."""
    text = fixture_text("postfix_main_cf_p3_role_template.cf")
    settings = postfix_ha_settings(text, BED_POSTFIX)
    assert settings == {"inet_interfaces": "all"}
    assert postfix_main_cf(text, settings) == text


def test_the_administrators_main_cf_keeps_relayhost_and_tls_and_gets_only_what_the_cluster_needs(fixture_text):
    # Debian's main.cf (the package's, read on a node) as an administrator set it up before the cluster.
    admin = (fixture_text("postfix_main_cf_p3_package_debian.cf").replace("relayhost =", "relayhost = [smtp.example.net]:587")
             + "smtpd_tls_cert_file = /etc/ssl/certs/shop.pem\nsmtpd_tls_key_file = /etc/ssl/private/shop.key\n"
             + "smtpd_recipient_restrictions = permit_mynetworks,\n    reject_unauth_destination\n"
             + "inet_interfaces = loopback-only\n")
    service = dict(BED_POSTFIX, mail_domain="shop.example", data="/srv/shop/mail")
    settings = postfix_ha_settings(admin, service)
    assert settings == {"inet_interfaces": "all", "mydestination": "$myhostname, localhost.$mydomain, localhost, shop.example",
                        "mail_spool_directory": "/srv/shop/mail"}
    result = postfix_main_cf(admin, settings)
    values = postfix_main_cf_values(result)
    assert values["relayhost"] == "[smtp.example.net]:587"
    assert values["smtpd_tls_cert_file"] == "/etc/ssl/certs/shop.pem"
    assert values["smtpd_recipient_restrictions"] == "permit_mynetworks, reject_unauth_destination"
    assert values["inet_interfaces"] == "all" and values["mail_spool_directory"] == "/srv/shop/mail"
    assert values["mydestination"].endswith(", shop.example")
    # Only those lines changed, the spool added in the marked block at the end.
    changed = [line for line in result.splitlines() if line not in admin.splitlines()]
    assert changed == ["mydestination = $myhostname, localhost.$mydomain, localhost, shop.example", "inet_interfaces = all",
                       "# twonode.ha: what the cluster needs (the rest of this file is the administrator's)",
                       "mail_spool_directory = /srv/shop/mail"]
    # A second run changes nothing.
    assert postfix_main_cf(result, postfix_ha_settings(result, service)) == result


def test_a_parameter_set_twice_is_set_where_postfix_reads_it_and_ipv6_vips_widen_the_protocols():
    text = "inet_protocols = ipv4\nmydestination = a,\n  b\nmydestination = example.net\nrelayhost = x\n"
    settings = postfix_ha_settings(text, {"vips": ["2001:db8::10"], "mail_domain": "example.net", "data": None})
    assert settings == {"inet_interfaces": "all", "inet_protocols": "all"}
    assert postfix_main_cf(text, dict(settings, mydestination="example.net, example.org")) == (
        "inet_protocols = all\nmydestination = example.net, example.org\nrelayhost = x\n"
        "# twonode.ha: what the cluster needs (the rest of this file is the administrator's)\ninet_interfaces = all\n")


def test_a_domain_the_administrator_delivers_as_virtual_is_not_added_to_mydestination(fixture_text):
    admin = fixture_text("postfix_main_cf_p3_package_debian.cf") + "virtual_mailbox_domains = shop.example, other.example\n"
    assert "mydestination" not in postfix_ha_settings(admin, dict(BED_POSTFIX, mail_domain="shop.example"))


def test_a_vip_a_node_holds_outside_the_cluster_names_the_unit_remove_yml_leaves():
    errors = resources_input_errors([group(vips=["10.213.10.12"])], NODES)
    assert any("systemctl disable --now twonode-ha-addresses" in e for e in errors), errors
