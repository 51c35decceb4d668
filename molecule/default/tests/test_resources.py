"""The service group as a client sees it: HTTP and SMTP on the virtual IP, through a node kill."""
import json
import os
import smtplib
import tempfile
import time
import urllib.request
import uuid

from conftest import BED_STATE, cluster_status, config_fingerprint, podman, run_playbook, wait_until

testinfra_hosts = ["node1"]
VIP = "10.213.10.100"
GROUP_MEMBERS = ("services-vip1", "services-nginx", "services-postfix")


def http_get():
    with urllib.request.urlopen("http://%s/" % VIP, timeout=2) as response:
        return response.status, response.headers.get("X-Served-By"), response.read().decode()


def group_node(node):
    resources = cluster_status(node)["resources"]
    places = {tuple(resources[m]["nodes"]) for m in GROUP_MEMBERS if resources[m]["active"]}
    assert len(places) == 1 and all(resources[m]["active"] for m in GROUP_MEMBERS), resources
    (place,) = places
    assert len(place) == 1
    return place[0]


def send_mail(token):
    with smtplib.SMTP(VIP, 25, timeout=10) as smtp:
        code = smtp.ehlo("client.example")[0]
        assert code == 250
        refused = smtp.sendmail("tester@client.example", ["root@testbed.example"],
                                "Subject: twonode test\n\n%s\n" % token)
        assert refused == {}


def delivered(host, token):
    return host.run("grep -c %s /var/mail/root", token).stdout.strip() not in ("", "0")


def test_http_on_the_virtual_ip_from_the_active_node(node1):
    status, served_by, body = http_get()
    assert status == 200 and body == "twonode.ha group services\n"
    assert served_by == group_node(node1)


def test_smtp_on_the_virtual_ip_delivers_on_the_active_node(node1, node2):
    active = {"node1": node1, "node2": node2}[group_node(node1)]
    token = "twonode-" + uuid.uuid4().hex
    send_mail(token)
    wait_until("the message in the active node's mailbox", lambda: delivered(active, token), timeout=30)


def test_services_are_left_to_the_cluster(node1, node2):
    for host in (node1, node2):
        for unit in ("nginx", "postfix"):
            assert not host.service(unit).is_enabled, unit
    standby = node2 if group_node(node1) == "node1" else node1
    assert not standby.service("nginx").is_running


def test_check_mode_with_a_new_vip_changes_nothing(node1, node2):
    extra = {"resources_groups": [{"name": "services", "vips": [VIP, "10.213.10.101"],
                                   "services": ["nginx", "postfix"], "mail_domain": "testbed.example",
                                   "preferred_node": "node1"}]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(extra, handle)
    files = "sha256sum /etc/nginx/sites-available/twonode.conf /etc/postfix/master.cf"
    before = [(config_fingerprint(h), h.check_output(files)) for h in (node1, node2)]
    result = run_playbook("--check", "--diff", "-e", "@" + handle.name)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert '<primitive id="services-vip2" class="ocf" type="IPaddr2" provider="heartbeat">' in output
    assert 'name="ip" value="10.213.10.101"' in output
    assert "listen 10.213.10.101:80;" in output
    after = [(config_fingerprint(h), h.check_output(files)) for h in (node1, node2)]
    assert after == before
    assert node1.run("ip -o addr show | grep -c 10.213.10.101").stdout.strip() == "0"


def test_killing_the_active_node_moves_the_service_and_it_stays(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    # Only a whole pair can take a kill: a peer still booting waits to see the other (wait_for_all).
    both = {"node1": True, "node2": True}
    assert cluster_status(node1)["nodes"] == both and cluster_status(node2)["nodes"] == both
    victim = group_node(node1)
    survivor = "node2" if victim == "node1" else "node1"
    started = podman("inspect", "-f", "{{.State.StartedAt}}", "twonode-" + victim)
    t0 = time.time()
    podman("kill", "twonode-" + victim)

    def served_by_survivor():
        try:
            return http_get()[1] == survivor
        except OSError:
            return False
    wait_until("HTTP on the VIP from " + survivor, served_by_survivor, timeout=120, interval=0.2)
    recovered = time.time() - t0
    token = "twonode-" + uuid.uuid4().hex

    def mail_accepted():
        try:
            send_mail(token)
            return True
        except OSError:  # postfix starts after nginx in the group
            return False
    wait_until("SMTP on the VIP from " + survivor, mail_accepted, timeout=60, interval=0.5)
    wait_until("mail delivered on " + survivor, lambda: delivered(nodes[survivor], token), timeout=30)
    # The survivor fenced the dead node: its container was started again by the fence device.
    history = nodes[survivor].check_output("stonith_admin --history %s", victim)
    assert "reboot of %s successful" % victim in history
    assert podman("inspect", "-f", "{{.State.StartedAt}}", "twonode-" + victim) != started
    wait_until(victim + " back in the cluster",
               lambda: cluster_status(nodes[survivor])["nodes"] == {"node1": True, "node2": True}, timeout=180)
    rejoined = time.time() - t0
    time.sleep(10)  # give the cluster time to (wrongly) move the group back
    assert group_node(nodes[survivor]) == survivor
    assert http_get()[1] == survivor
    print("kill -> HTTP from %s: %.1fs; %s rejoined after %.1fs; group stayed on %s"
          % (survivor, recovered, victim, rejoined, survivor))


def test_a_running_group_is_stopped_and_removed_with_resources_absent(node1, node2):
    """Also: a service's secret (Dummy's passwd) is in no output of the runs, -vvv and --diff included,
    and in neither node's journal, while the group is added and removed."""
    services = {"name": "services", "vips": [VIP], "services": ["nginx", "postfix"],
                "mail_domain": "testbed.example", "preferred_node": "node1"}
    secret = "S3cret-%s" % uuid.uuid4().hex[:12]
    shop = {"name": "shop", "vips": ["10.213.10.101"],
            "services": [{"name": "dummy", "agent": "ocf:pacemaker:Dummy", "params": {"passwd": secret},
                          "secret_params": ["passwd"]}]}
    since = node1.check_output("date '+%Y-%m-%d %H:%M:%S'")

    def extra_vars(data):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(data, handle)
        return "@" + handle.name

    try:
        added = run_playbook("-vvv", "--diff", "-e", extra_vars({"resources_groups": [services, shop]}))
        assert added.returncode == 0, added.stdout[-3000:]
        assert cluster_status(node1)["resources"]["shop-dummy"]["active"]
        assert secret in node1.check_output("cibadmin --query --scope resources")  # it did reach the cluster
        remove = extra_vars({"resources_groups": [services], "resources_absent": ["shop"]})
        result = run_playbook("-vvv", "--diff", "-e", remove)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        with open(os.path.join(BED_STATE, "alarm.token")) as handle:
            alarm_token = handle.read().strip()  # the alarm webhook's, in the bed's inventory
        for run in (added, result):
            assert secret not in run.stdout + run.stderr
            assert alarm_token not in run.stdout + run.stderr
        for host in (node1, node2):
            journal = host.run("journalctl --no-pager --since %s", since)
            assert journal.rc == 0 and journal.stdout and secret not in journal.stdout
        resources = cluster_status(node1)["resources"]
        assert not any(rid.startswith("shop") for rid in resources), resources
        assert "shop" not in node1.check_output("cibadmin --query --scope resources")
        for host in (node1, node2):
            assert host.run("ip -o addr show | grep -c 10.213.10.101").stdout.strip() == "0"
        again = run_playbook("-e", remove)
        assert again.returncode == 0 and "changed=0" in again.stdout and "changed=1" not in again.stdout, \
            again.stdout[-3000:]
        assert group_node(node1) in ("node1", "node2")
    finally:
        if "shop" in node1.check_output("cibadmin --query --scope resources"):
            run_playbook("-e", extra_vars({"resources_absent": ["shop"]}))
