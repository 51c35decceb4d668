"""The release upgrade Debian 12 -> 13 (update.yml -e update_release=trixie) of a running pair built by site.yml,
as an administrator runs it, with clients on this machine all along: one fetches the service address every
0.25 s, one sends a mail through the virtual IP every second and keeps what the server acknowledged.

Only in the full run (tests/run-all.sh --full: TWONODE_DEBIAN=bookworm TWONODE_VERIFY=release), where it is the
whole verify: it downloads Debian 13 for both nodes (a few hundred MB) and leaves the bed on Debian 13.
Judged: the update passes and reports both nodes moved; both nodes run Debian 13 with Pacemaker 3.0 and the pair
is available; the service answered except during the switchover (the report's outage); every acknowledged mail
is in a mailbox; the CIB has Pacemaker 3.0's schema; site.yml afterwards puts back what the packages rewrote,
and a second site.yml changes nothing."""
import json
import os
import re
import smtplib
import time

import pytest

from conftest import Background, Client, cluster_status, run_playbook, wait_until

testinfra_hosts = ["node1"]

pytestmark = pytest.mark.skipif(os.environ.get("TWONODE_VERIFY") != "release",
                                reason="the release upgrade runs in the full run only (TWONODE_VERIFY=release)")

VIP = "10.213.10.100"
# A task's name in ansible-playbook's output, when one of its hosts says changed before the next task begins.
CHANGED_TASK = r"TASK \[([^\]]+)\][^\n]*\n(?:(?!TASK )[^\n]*\n)*?changed: "


class MailClient(Background):
    """Sends a numbered mail through the virtual IP every second; keeps the tokens the server acknowledged."""

    def __init__(self):
        super().__init__()
        self.acked, self.refused = [], 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            token = "release-upgrade-%d-%d" % (int(time.time()), n)
            try:
                with smtplib.SMTP(VIP, 25, timeout=5) as smtp:
                    if smtp.sendmail("tester@client.example", ["root@testbed.example"],
                                     "Subject: twonode release upgrade\n\n%s\n" % token) == {}:
                        self.acked.append(token)
            except (OSError, smtplib.SMTPException):
                self.refused += 1  # not acknowledged: the sender knows and sends it again
            self.stop.wait(1.0)


def mailbox_tokens(host):
    return set(re.findall(r"release-upgrade-\d+-\d+", host.run("cat /var/mail/root 2>/dev/null").stdout))


def test_the_pair_moves_from_debian_12_to_13_with_the_service_up(node1, node2, tmp_path):
    nodes = {"node1": node1, "node2": node2}
    for host in nodes.values():
        assert host.file("/etc/debian_version").content_string.startswith("12."), "the bed must start on Debian 12"
    report_file = str(tmp_path / "update.json")
    started = time.time()
    with Client() as web, MailClient() as mail:
        result = run_playbook("-e", "update_release=trixie", "-e", "update_report_file=" + report_file,
                              playbook="update.yml")
        time.sleep(5)
    took = time.time() - started
    output = " ".join(result.stdout.split())
    print(output[output.rfind("TASK [twonode.ha.update : Report"):][:4000])
    assert result.returncode == 0, output[-4000:] + result.stderr[-2000:]
    with open(report_file) as handle:
        report = json.load(handle)
    assert [done["release"] for done in report["nodes"]] == [{"from": "bookworm", "to": "trixie"}] * 2
    assert all(done["rebooted"] for done in report["nodes"])

    for name, host in nodes.items():
        assert host.file("/etc/debian_version").content_string.startswith("13."), name
        assert host.check_output("pacemakerd --version").split()[1].startswith("3."), name
    wait_until("the pair available on Debian 13", lambda: all(cluster_status(h)["quorate"] for h in nodes.values())
               and all(cluster_status(node1)["nodes"].values()), timeout=120)
    status = run_playbook("-e", "twonode_require_available=true", playbook="status.yml")
    assert status.returncode == 0 and "verdict: available" in status.stdout, status.stdout[-2000:]

    # The service answered except during the one switchover: every failed probe lies within it.
    [move] = report["switchovers"]
    failed = web.failed()
    outages = []
    for probe in failed:
        if not outages or probe[0] - outages[-1][1] > 1.0:
            outages.append([probe[0], probe[1]])
        else:
            outages[-1][1] = probe[1]
    print("release upgrade: %.0f s; per node %s; switchover %s s, the report's outage %s; HTTP outages seen here: %s; "
          "mails acknowledged %d, not acknowledged %d" % (
              took, [(d["node"], d["seconds"]) for d in report["nodes"]], move["seconds"], move.get("outage"),
              ["%.1f s" % (end - begin) for begin, end in outages], len(mail.acked), mail.refused))
    assert len(outages) <= 1 and all(end - begin < 30 for begin, end in outages), outages
    assert web.probes and len(failed) < len(web.probes) / 20

    # Nothing acknowledged is lost: each acknowledged mail is in the mailbox of the node that took it.
    assert mail.acked
    wait_until("every acknowledged mail delivered", lambda: set(mail.acked) <= mailbox_tokens(node1) | mailbox_tokens(node2),
               timeout=120)

    schema = re.search(r"validate-with=\"([^\"]*)\"", node1.check_output("cibadmin --query --xpath /cib --no-children")).group(1)
    assert schema.startswith("pacemaker-4."), schema

    # site.yml puts back what the new release's packages rewrote of the collection's files (on the bed: postfix's
    # upgrade rewrote main.cf, which the role writes); a second run then finds nothing to change on Debian 13.
    first = run_playbook()
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    print("site.yml after the release upgrade changed: %s" % re.findall(CHANGED_TASK, first.stdout))
    again = run_playbook()
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    changed = re.findall(r"(node\d)\s+: ok=\d+\s+changed=(\d+) ", again.stdout)
    assert changed and all(count == "0" for name, count in changed), (changed, again.stdout[-4000:])
