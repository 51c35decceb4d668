"""The administrator's own configuration survives the roles: an nginx site with TLS and a postfix relayhost set
up on both nodes before site.yml. The roles' logic is the same on both releases (and unit-tested on main.cf
captured from a node): the first release's run covers it."""
import ssl
import urllib.request

from conftest import run_playbook
from test_resources import VIP, group_node, http_get

testinfra_hosts = ["node1"]


ADMIN_SITE = """server {
    listen 443 ssl;
    server_name shop.example;
    ssl_certificate /etc/ssl/certs/twonode-test-shop.pem;
    ssl_certificate_key /etc/ssl/private/twonode-test-shop.key;
    add_header X-Served-By $hostname always;
    location / { return 200 "shop over tls\\n"; }
}
"""


def https_get():
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with urllib.request.urlopen("https://%s/" % VIP, timeout=3, context=context) as response:
        return response.status, response.headers.get("X-Served-By"), response.read().decode()


def test_the_administrators_tls_site_and_postfix_relayhost_are_kept(node1, node2):
    """An administrator's own nginx site with TLS and a postfix relayhost, set up before site.yml: site.yml
    changes nothing of theirs (and nothing at all), the site answers through the VIP on both nodes."""
    nodes = {"node1": node1, "node2": node2}
    for host in nodes.values():
        host.check_output("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=shop.example "
                          "-keyout /etc/ssl/private/twonode-test-shop.key -out /etc/ssl/certs/twonode-test-shop.pem")
        host.check_output("cat > /etc/nginx/sites-available/shop-tls.conf <<'EOF'\n%sEOF" % ADMIN_SITE)
        host.check_output("ln -sf /etc/nginx/sites-available/shop-tls.conf /etc/nginx/sites-enabled/shop-tls.conf")
        host.check_output("postconf -e 'relayhost = [smtp.example.net]:587' 'smtp_tls_security_level = encrypt'")
    try:
        kept = {name: host.check_output("sha256sum /etc/postfix/main.cf /etc/nginx/sites-enabled/shop-tls.conf")
                for name, host in nodes.items()}
        serving = group_node(node1)
        nodes[serving].check_output("systemctl reload nginx")
        result = run_playbook()
        assert result.returncode == 0, result.stdout[-3000:]
        assert "changed=0" in result.stdout and "changed=1" not in result.stdout, result.stdout[-3000:]
        for name, host in nodes.items():
            assert host.check_output("sha256sum /etc/postfix/main.cf /etc/nginx/sites-enabled/shop-tls.conf") == kept[name]
            assert host.check_output("postconf -h relayhost") == "[smtp.example.net]:587"
        assert https_get() == (200, serving, "shop over tls\n")
        assert http_get()[0] == 200
        other = "node2" if serving == "node1" else "node1"
        moved = run_playbook("-e", "group=services", "-e", "to=" + other, playbook="failover.yml")
        assert moved.returncode == 0, moved.stdout[-3000:]
        assert https_get() == (200, other, "shop over tls\n")
        back = run_playbook("-e", "group=services", "-e", "to=" + serving, playbook="failover.yml")
        assert back.returncode == 0, back.stdout[-3000:]
    finally:
        for host in nodes.values():
            host.run("rm -f /etc/nginx/sites-enabled/shop-tls.conf /etc/nginx/sites-available/shop-tls.conf "
                     "/etc/ssl/private/twonode-test-shop.key /etc/ssl/certs/twonode-test-shop.pem")
            host.run("postconf -e 'relayhost =' && postconf -X smtp_tls_security_level")
        nodes[group_node(node1)].run("systemctl reload nginx")
