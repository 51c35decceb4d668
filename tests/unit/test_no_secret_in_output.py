"""Secrets stay out of what -v and -vvv print: task results, facts included.

The CIB's configuration holds fence passwords and secret resource parameters in clear, and so do the
fence devices as given: a task that reads the CIB, or puts the devices in a fact, carries no_log.
Seen on the container bed: a group's secret parameter appeared in site.yml -vvv output through
the resources role's `cibadmin --query --scope resources`."""
import glob
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASK_FILES = (glob.glob(os.path.join(REPO, "roles", "*", "tasks", "*.yml"))
              + glob.glob(os.path.join(REPO, "roles", "*", "handlers", "*.yml"))
              + glob.glob(os.path.join(REPO, "playbooks", "*.yml"))
              + glob.glob(os.path.join(REPO, "playbooks", "tasks", "*.yml")))
# cibadmin --query with no scope, or a scope that holds configuration (not status or nodes).
_CIB_QUERY = re.compile(r"cibadmin\s+(?:-\w+\s+|--\w+\s+)*(?:--query|-Q)\b(?!.*--scope\s+(?:status|nodes)\b)")
_CIB_FILE = "/var/lib/pacemaker/cib"
_MODULES_WITH_COMMANDS = ("ansible.builtin.command", "ansible.builtin.shell", "command", "shell")
_MODULES_READING_FILES = ("ansible.builtin.slurp", "ansible.builtin.fetch", "slurp", "fetch")


def _tasks(node):
    """Every task in a task list or play list, blocks and their rescue/always included."""
    if isinstance(node, list):
        for entry in node:
            yield from _tasks(entry)
    elif isinstance(node, dict):
        if any(key in node for key in ("tasks", "pre_tasks", "post_tasks", "handlers")):
            for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                yield from _tasks(node.get(key) or [])
            return
        if "block" in node:
            for key in ("block", "rescue", "always"):
                yield from _tasks(node.get(key) or [])
            return
        yield node


def reads_the_cib(task):
    for module in _MODULES_WITH_COMMANDS:
        if module in task:
            args = task[module]
            text = " ".join(str(word) for word in args["argv"]) if isinstance(args, dict) and "argv" in args else (
                args.get("cmd", "") if isinstance(args, dict) else str(args))
            # find -delete (remove.yml) removes the files without reading them.
            if _CIB_QUERY.search(text) or (_CIB_FILE in text and " -delete" not in text):
                return True
    for module in _MODULES_READING_FILES:
        if module in task and _CIB_FILE in str(task[module].get("src", "")):
            return True
    return False


def keeps_fence_devices_in_a_fact(task):
    for module in ("ansible.builtin.set_fact", "set_fact"):
        if module in task and "cluster_fence_devices" in str(task[module]):
            return True
    return False


def tasks_without_no_log(shows_secrets):
    found = []
    for path in TASK_FILES:
        with open(path) as handle:
            document = yaml.safe_load(handle)
        for task in _tasks(document or []):
            if shows_secrets(task) and task.get("no_log") is not True:
                found.append("%s: %s" % (os.path.relpath(path, REPO), task.get("name")))
    return found


def test_every_task_that_reads_the_cib_hides_its_result():
    assert tasks_without_no_log(reads_the_cib) == []


def test_every_fact_that_holds_the_fence_devices_is_hidden():
    assert tasks_without_no_log(keeps_fence_devices_in_a_fact) == []


def journal_misses_escaped_secrets(task):
    """AnsibleModule writes its arguments to the node's journal and masks a secret inside a list option only
    where it appears verbatim: one with a quote or a backslash is written escaped, in clear."""
    return any(module in task for module in ("twonode.ha.cib", "twonode.ha.fence_check"))


def test_every_call_that_passes_secrets_in_lists_keeps_out_of_the_journal():
    quiet = [task for path in TASK_FILES for task in _tasks(yaml.safe_load(open(path)) or [])
             if journal_misses_escaped_secrets(task)]
    assert quiet, "the roles call the cib and fence_check modules"
    assert [t.get("name") for t in quiet if (t.get("vars") or {}).get("ansible_no_target_syslog") is not True] == []


def test_the_check_finds_a_cib_read_without_no_log():
    assert reads_the_cib({"ansible.builtin.command": "cibadmin --query --local --scope resources"})
    assert reads_the_cib({"ansible.builtin.command": "cibadmin -Q"})
    assert reads_the_cib({"ansible.builtin.slurp": {"src": "/var/lib/pacemaker/cib/cib.xml"}})
    assert reads_the_cib({"ansible.builtin.shell": {"cmd": "cat /var/lib/pacemaker/cib/cib.xml | head"}})
    assert not reads_the_cib({"ansible.builtin.command": "cibadmin --query --scope status"})
    assert not reads_the_cib({"ansible.builtin.command": "crm_mon --one-shot --output-as=xml"})
    assert keeps_fence_devices_in_a_fact({"ansible.builtin.set_fact": {"x": "{{ cluster_fence_devices + [] }}"}})
