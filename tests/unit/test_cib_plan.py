import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import MASK, PlanError, plan, secret_values

BED_PARAMS = {"ip": "10.213.10.1", "ipport": "2376", "ssl_secure": "1", "tlscert": "/etc/twonode/fence/client.pem",
              "tlskey": "/etc/twonode/fence/client.key", "tlscacert": "/etc/twonode/fence/ca.pem",
              "api_version": "1.41"}


def bed_desired():
    """What the cluster role asked for on the bed when cib_fenced.xml was captured."""
    def device(node, extra):
        params = dict(BED_PARAMS, pcmk_host_map="%s:twonode-%s" % (node, node), **extra)
        return {"id": "fence-" + node, "class": "stonith", "type": "fence_docker", "params": params,
                "meta": {}, "ops": [{"name": "monitor", "interval": "60s"}], "secret_params": []}
    return {
        "properties": {"stonith-enabled": True},
        "resources": [device("node1", {"pcmk_delay_base": "5s"}), device("node2", {})],
        "constraints": [{"kind": "location", "id": "location-fence-%s-avoids-%s" % (n, n),
                         "rsc": "fence-" + n, "node": n, "score": "-INFINITY"} for n in ("node1", "node2")],
    }


def test_live_bed_configuration_is_unchanged(fixture_text):
    result = plan(fixture_text("cib_fenced.xml"), bed_desired())
    assert result["changed"] is False and result["changes"] == []


def test_empty_cib_gets_everything(fixture_text):
    result = plan(fixture_text("cib_empty.xml"), bed_desired())
    assert result["changes"] == [
        "set property stonith-enabled=true",
        "create primitive fence-node1",
        "create primitive fence-node2",
        "create constraint location-fence-node1-avoids-node1",
        "create constraint location-fence-node2-avoids-node2",
    ]
    candidate = ET.fromstring(result["candidate"])
    prim = candidate.find("configuration/resources/primitive[@id='fence-node1']")
    assert prim.find("instance_attributes/nvpair[@name='pcmk_delay_base']").get("value") == "5s"
    assert prim.find("operations/op").attrib == {"id": "fence-node1-monitor-interval-60s", "name": "monitor",
                                                 "interval": "60s"}
    # Re-planning against the candidate finds nothing more to do.
    assert plan(result["candidate"], bed_desired())["changed"] is False


def test_a_changed_parameter_replaces_only_that_device(fixture_text):
    desired = bed_desired()
    desired["resources"][1]["params"]["ipport"] = "2377"
    result = plan(fixture_text("cib_fenced.xml"), desired)
    assert result["changes"] == ["update primitive fence-node2"]
    assert 'value="2376"' in result["before"] and 'value="2377"' in result["after"]
    assert "fence-node1" not in result["after"]


def test_unmanaged_objects_and_pacemaker_properties_are_left_alone(fixture_text):
    live = fixture_text("cib_fenced.xml")
    result = plan(live, {"properties": {"stonith-timeout": "90s"}})
    candidate = ET.fromstring(result["candidate"])
    names = [nv.get("name") for nv in candidate.findall("configuration/crm_config/cluster_property_set/nvpair")]
    assert "dc-version" in names and "cluster-infrastructure" in names and "stonith-timeout" in names
    assert len(candidate.findall("configuration/resources/primitive")) == 2
    assert candidate.find("status") is not None


def test_operator_target_role_survives_a_configuration_run(fixture_text):
    live = ET.fromstring(fixture_text("cib_fenced.xml"))
    prim = live.find("configuration/resources/primitive[@id='fence-node2']")
    meta = ET.SubElement(prim, "meta_attributes", {"id": "fence-node2-meta_attributes"})
    ET.SubElement(meta, "nvpair", {"id": "x", "name": "target-role", "value": "Stopped"})
    live_xml = ET.tostring(live, encoding="unicode")
    assert plan(live_xml, bed_desired())["changed"] is False
    desired = bed_desired()
    desired["resources"][1]["params"]["ipport"] = "2377"
    candidate = ET.fromstring(plan(live_xml, desired)["candidate"])
    kept = candidate.find("configuration/resources/primitive[@id='fence-node2']/meta_attributes/nvpair")
    assert (kept.get("name"), kept.get("value")) == ("target-role", "Stopped")


def test_operation_interval_compared_by_meaning(fixture_text):
    desired = bed_desired()
    for rsc in desired["resources"]:
        rsc["ops"] = [{"name": "monitor", "interval": "60000ms"}]
    assert plan(fixture_text("cib_fenced.xml"), desired)["changed"] is False


def test_secrets_are_masked_in_the_diff(fixture_text):
    desired = bed_desired()
    desired["resources"][0]["params"]["password"] = "s3cr3t-ipmi"
    desired["resources"][1]["params"]["login_key"] = "k3y-value"
    desired["resources"][1]["secret_params"] = ["login_key"]
    result = plan(fixture_text("cib_fenced.xml"), desired)
    shown = result["before"] + result["after"] + " ".join(result["changes"])
    assert "s3cr3t-ipmi" not in shown and "k3y-value" not in shown
    assert shown.count(MASK) == 2
    # The candidate applied to the cluster carries the real values.
    assert "s3cr3t-ipmi" in result["candidate"]
    assert secret_values(desired) == {"s3cr3t-ipmi", "k3y-value"}


def test_a_secret_the_new_run_no_longer_names_stays_masked_in_the_diff(fixture_text):
    """The live value was secret through the last run's secret_params; this run drops the parameter, so
    nothing in this run says it was secret: the diff's before side masks what is not set in clear now."""
    earlier = bed_desired()
    earlier["resources"][1]["params"]["login_key"] = "k3y-value"
    earlier["resources"][1]["secret_params"] = ["login_key"]
    live = plan(fixture_text("cib_fenced.xml"), earlier)["candidate"]
    now = plan(live, bed_desired())
    assert now["changed"] and "k3y-value" in live
    assert "k3y-value" not in now["before"] + now["after"]
    assert 'name="login_key" value="%s"' % MASK in now["before"]
    # What this run sets in clear is still shown as it was.
    assert 'value="2376"' in now["before"]


def test_errors_before_anything_is_applied(fixture_text):
    with pytest.raises(PlanError, match="needs a provider"):
        plan(fixture_text("cib_empty.xml"), {"resources": [{"id": "vip", "class": "ocf", "type": "IPaddr2"}]})
    with pytest.raises(PlanError, match="given twice"):
        desired = bed_desired()
        desired["resources"].append(desired["resources"][0])
        plan(fixture_text("cib_empty.xml"), desired)
    with pytest.raises(PlanError, match="not XML"):
        plan("Could not connect", bed_desired())
    with pytest.raises(PlanError, match="already used by a instance_attributes element, not a resource"):
        plan(fixture_text("cib_fenced.xml"), {"resources": [
            {"id": "fence-node1-instance_attributes", "class": "stonith", "type": "fence_dummy"}]})
