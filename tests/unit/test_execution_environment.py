"""The execution environment's definition names the tarball galaxy.yml's version builds (tests/ee.sh checks the
rest with ansible-builder)."""
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _yaml(name):
    with open(os.path.join(REPO, name)) as handle:
        return yaml.safe_load(handle)


def test_the_execution_environment_installs_the_tarball_of_this_version():
    version = _yaml("galaxy.yml")["version"]
    ee = _yaml("execution-environment.yml")
    tarball = "twonode-ha-%s.tar.gz" % version
    assert ee["additional_build_files"] == [{"src": ".ee-build/" + tarball, "dest": "collections"}]
    assert ee["dependencies"]["galaxy"]["collections"] == [{"name": "collections/" + tarball, "type": "file"}]


def test_it_pins_the_ansible_core_the_collection_is_tested_with():
    with open(os.path.join(REPO, "requirements.txt")) as handle:
        pinned = [line.strip() for line in handle if line.startswith("ansible-core==")]
    assert _yaml("execution-environment.yml")["dependencies"]["ansible_core"]["package_pip"] == pinned[0]


def test_the_collection_declares_its_python_dependencies_for_introspection():
    assert _yaml("meta/execution-environment.yml")["dependencies"]["python"] == "meta/ee-requirements.txt"
    with open(os.path.join(REPO, "meta/ee-requirements.txt")) as handle:
        assert [line.split(">=")[0] for line in handle if line.strip() and not line.startswith("#")] == ["netaddr"]
