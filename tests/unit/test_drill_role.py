"""The drill role's shape, read from its files: every internal variable it reads is set somewhere in it,
task names say which drill they belong to, the include tree stays shallow, and the boot-mark command
is the one drill_plan parses."""
import glob
import os
import re

import yaml

from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import BOOT_MARK_COMMAND, DRILLS

from conftest import REPO

ROLE = os.path.join(REPO, "roles", "drill")
TASKS = os.path.join(ROLE, "tasks")
ACTIVE_FAILURES = ("active_power_off", "stack_crash", "kernel_panic")


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def tasks_of(node):
    """Every task in a task list, those inside blocks included."""
    for task in node or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks_of(task.get(key))


def task_files():
    return {os.path.basename(path)[:-4]: load(path) for path in sorted(glob.glob(os.path.join(TASKS, "*.yml")))}


def drill_file(drill):
    return "active_failure" if drill in ACTIVE_FAILURES else drill


def test_every_internal_variable_read_is_set_and_every_other_one_is_an_option():
    files = sorted(glob.glob(os.path.join(TASKS, "*.yml")))
    files += [os.path.join(ROLE, "vars", "main.yml"), os.path.join(REPO, "playbooks", "drill.yml")]
    options = set(load(os.path.join(ROLE, "defaults", "main.yml")))
    assert options == set(load(os.path.join(ROLE, "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"])
    defined = set(load(os.path.join(ROLE, "vars", "main.yml")))
    for tasks in task_files().values():
        for task in tasks_of(tasks):
            defined.update(task.get("ansible.builtin.set_fact") or {})
            defined.update([task["register"]] if "register" in task else [])
            defined.update([(task.get("loop_control") or {}).get("loop_var")])
            if "ansible.builtin.include_tasks" in task:
                defined.update(task.get("vars") or {})
    read = {}
    for path in files:
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                code = re.sub(r"(^|\s)#.*$", "", line)
                for match in re.finditer(r"(?<![\w./-])_*drill_\w+", code):
                    read.setdefault(match.group(0), "%s:%d" % (os.path.relpath(path, REPO), number))
    assert {name: where for name, where in read.items() if name.startswith("__") and name not in defined} == {}
    assert {name: where for name, where in read.items() if not name.startswith("__") and name not in options} == {}


def test_facts_and_registered_results_carry_the_internal_prefix():
    # they outlive the task that sets them: two underscores and the role's name keep them off the user's names
    names = []
    for tasks in task_files().values():
        for task in tasks_of(tasks):
            names += list(task.get("ansible.builtin.set_fact") or {}) + ([task["register"]] if "register" in task else [])
    assert names and [name for name in names if not name.startswith("__drill_")] == []


def test_each_drill_has_its_file_and_its_tasks_are_named_after_it():
    files = task_files()
    for drill in DRILLS:
        assert drill_file(drill) in files, drill
    for stem, tasks in files.items():
        if stem in ("main", "preflight"):
            continue
        for task in tasks_of(tasks):
            name = task.get("name", "")
            # a drill's own tasks start with its name; shared steps end with the drill that runs them
            assert name.startswith(stem + " | ") and stem.startswith(tuple(DRILLS)) or "__drill_name" in name, \
                (stem, name)


def test_the_include_tree_is_at_most_three_deep():
    files = task_files()

    def includes(stem):
        if stem == "main":
            return sorted({drill_file(drill) for drill in DRILLS})
        return [task["ansible.builtin.include_tasks"][:-4] for task in tasks_of(files[stem])
                if isinstance(task.get("ansible.builtin.include_tasks"), str)]

    def depth(stem):
        return max([1 + depth(child) for child in includes(stem)] or [0])

    assert depth("main") == 3
    # every file is reached from main, none is left over
    reached, todo = set(), ["main"]
    while todo:
        stem = todo.pop()
        reached.add(stem)
        todo.extend(child for child in includes(stem) if child not in reached)
    assert set(files) - reached == {"preflight"}  # imported statically


def test_the_boot_mark_is_read_with_the_command_drill_plan_parses():
    reads = [task["ansible.builtin.raw"] for tasks in task_files().values() for task in tasks_of(tasks)
             if "boot_id" in str(task.get("ansible.builtin.raw", ""))]
    assert len(reads) == 4 and set(reads) == {BOOT_MARK_COMMAND}
