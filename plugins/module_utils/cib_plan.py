# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a change to the Pacemaker CIB from a desired set of objects.

The planner compares what the user manages with the live CIB by meaning, not by text: ids of
nested elements, attribute order, the status section, epochs and the meta attributes an operator
sets at run time (target-role, is-managed) do not count. It returns the candidate CIB (the live
one with the managed objects replaced), the list of changes in words, and a before/after
rendering of the changed objects with secret parameters masked.

Desired objects (all optional):
  properties, rsc_defaults, op_defaults: {name: value}
  resources: [primitive]            top-level primitives
  groups: [{id, members: [primitive], meta}]
  clones: [{id, primitive, promotable, meta}]
  constraints: [{kind: location|colocation|order, id, ...Pacemaker attributes}]
  absent: [id]                      resources or constraints to remove
  purge: bool                       remove resources and constraints not listed (never fencing)
A primitive is {id, class, provider, type, params, secrets, meta, ops, secret_params}: secrets are
parameters like params whose values are never shown; secret_params names more of params to mask.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import xml.etree.ElementTree as ET

from ansible_collections.twonode.ha.plugins.module_utils.timing import duration_ms

PROPERTY_SET_ID = "cib-bootstrap-options"
MASK = "********"
# Meta attributes an operator sets at run time (crm_resource --ban/--manage, maintenance):
# a configuration run leaves them as they are unless it names them itself.
OPERATIONAL_META = ("target-role", "is-managed")
RESOURCE_TAGS = ("primitive", "group", "clone", "bundle")
CONSTRAINT_TAGS = {"location": "rsc_location", "colocation": "rsc_colocation", "order": "rsc_order"}
# Required and allowed attributes of each constraint kind, as Pacemaker names them.
CONSTRAINT_ATTRS = {
    "location": (("rsc", "node", "score"), ("role", "resource-discovery")),
    "colocation": (("rsc", "with-rsc", "score"), ("rsc-role", "with-rsc-role")),
    "order": (("first", "then"), ("kind", "score", "first-action", "then-action", "symmetrical")),
}
# Attributes of a constraint that name resources.
REFERENCE_ATTRS = ("rsc", "with-rsc", "first", "then")
SECTION_ORDER = ("crm_config", "rsc_defaults", "op_defaults")
# Names whose values are secret wherever they appear (fence agents' passwords, IPMI's BMC key).
_SECRET_NAME = re.compile(r"(passw|passphrase|secret|token|community|api_?key|private_?key|hexadecimal_kg)",
                          re.IGNORECASE)


class PlanError(ValueError):
    """The desired objects cannot be turned into a configuration."""


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_secret(name, extra=()):
    return bool(_SECRET_NAME.search(name)) or name in extra


def primitive_argument_spec():
    """The argument spec of one primitive, as the roles hand it to the cib and fence_check modules.
    Secret values travel in the no_log C(secrets) dict."""
    spec = dict(
        id=dict(type="str", required=True),
        provider=dict(type="str"),
        type=dict(type="str", required=True),
        params=dict(type="dict", default={}),
        meta=dict(type="dict", default={}),
        ops=dict(type="list", elements="dict", default=[]),
        secrets=dict(type="dict", default={}, no_log=True),
        secret_params=dict(type="list", elements="str", default=[], no_log=False),
    )
    spec["class"] = dict(type="str", required=True)
    return spec


def secret_params_errors(where, params, secret_params):
    """Problems with an entry's params and secret_params: a list of names whose values are in params.

    A mapping given as secret_params would otherwise reach no agent at all, and a name params does
    not set hides nothing.
    """
    if secret_params is None:
        return []
    if not isinstance(secret_params, list) or not all(isinstance(n, str) for n in secret_params):
        return ["%s: secret_params must be a list of parameter names whose values are in params "
                "(got %s)" % (where, type(secret_params).__name__ if not isinstance(secret_params, list)
                              else "a list with entries that are not names")]
    given = params if isinstance(params, dict) else {}
    missing = [n for n in secret_params if n not in given]
    if missing:
        return ["%s: secret_params names %s, which params does not set; give the value in params "
                "(from Vault) and its name in secret_params" % (where, ", ".join(missing))]
    return []


def split_secrets(params, extra=()):
    """Split parameters into (plain, secret) dicts, by name and the extra secret names.

    Secret values travel to the cib module in its no_log option C(secrets), so AnsibleModule
    hides them before it logs its arguments to the node's journal.
    """
    plain, secret = {}, {}
    for name, value in (params or {}).items():
        (secret if is_secret(name, extra) else plain)[name] = value
    return plain, secret


def secret_names(rsc):
    """The secret parameter names of one primitive spec."""
    return list(rsc.get("secret_params") or []) + sorted(rsc.get("secrets") or {})


def _all_primitives(desired):
    yield from desired.get("resources") or []
    for group in desired.get("groups") or []:
        yield from group.get("members") or []
    for clone in desired.get("clones") or []:
        if clone.get("primitive"):
            yield clone["primitive"]


def secret_values(desired):
    """Every secret parameter value in the desired objects (to hide from all output)."""
    values = set()
    for rsc in _all_primitives(desired):
        extra = rsc.get("secret_params") or []
        for name, value in (rsc.get("params") or {}).items():
            if is_secret(name, extra) and _text(value):
                values.add(_text(value))
        for value in (rsc.get("secrets") or {}).values():
            if _text(value):
                values.add(_text(value))
    return values


# ---------------------------------------------------------------- rendering desired objects

def _nvset(parent, tag, set_id, values):
    if not values:
        return
    nvset = ET.SubElement(parent, tag, {"id": set_id})
    for name in sorted(values):
        ET.SubElement(nvset, "nvpair", {"id": "%s-%s" % (set_id, name), "name": name,
                                        "value": _text(values[name])})


def _op_id(rsc_id, op):
    return "%s-%s-interval-%s" % (rsc_id, op["name"], _text(op.get("interval", "0s")))


def render_primitive(spec):
    for key in ("id", "class", "type"):
        if not spec.get(key):
            raise PlanError("resource %r has no %s" % (spec.get("id"), key))
    attrs = {"id": spec["id"], "class": spec["class"], "type": spec["type"]}
    if spec.get("provider"):
        attrs["provider"] = spec["provider"]
    elif spec["class"] == "ocf":
        raise PlanError("resource %r: an ocf resource needs a provider" % spec["id"])
    prim = ET.Element("primitive", attrs)
    params = dict(spec.get("params") or {})
    for name, value in (spec.get("secrets") or {}).items():
        if name in params:
            raise PlanError("resource %r: parameter %r is given in params and in secrets" % (spec["id"], name))
        params[name] = value
    _nvset(prim, "instance_attributes", "%s-instance_attributes" % spec["id"], params)
    _nvset(prim, "meta_attributes", "%s-meta_attributes" % spec["id"], spec.get("meta") or {})
    ops = spec.get("ops") or []
    if ops:
        ops_elem = ET.SubElement(prim, "operations")
        for op in ops:
            if not op.get("name"):
                raise PlanError("resource %r: an operation has no name" % spec["id"])
            op_attrs = {"id": _op_id(spec["id"], op), "name": op["name"],
                        "interval": _text(op.get("interval", "0s"))}
            for key, value in sorted(op.items()):
                if key not in ("name", "interval"):
                    op_attrs[key.replace("_", "-")] = _text(value)
            ET.SubElement(ops_elem, "op", op_attrs)
    return prim


def render_group(spec):
    if not spec.get("id"):
        raise PlanError("a group has no id")
    members = spec.get("members") or []
    if not members:
        raise PlanError("group %r has no members" % spec["id"])
    group = ET.Element("group", {"id": spec["id"]})
    _nvset(group, "meta_attributes", "%s-meta_attributes" % spec["id"], spec.get("meta") or {})
    for member in members:
        group.append(render_primitive(member))
    return group


def render_clone(spec):
    if not spec.get("id") or not spec.get("primitive"):
        raise PlanError("clone %r needs an id and a primitive" % spec.get("id"))
    clone = ET.Element("clone", {"id": spec["id"]})
    meta = dict(spec.get("meta") or {})
    if spec.get("promotable"):
        meta["promotable"] = True
    _nvset(clone, "meta_attributes", "%s-meta_attributes" % spec["id"], meta)
    clone.append(render_primitive(spec["primitive"]))
    return clone


def render_constraint(spec):
    kind = spec.get("kind")
    if kind not in CONSTRAINT_TAGS:
        raise PlanError("constraint %r: kind %r is not one of %s"
                        % (spec.get("id"), kind, ", ".join(sorted(CONSTRAINT_TAGS))))
    if not spec.get("id"):
        raise PlanError("a %s constraint has no id" % kind)
    attrs = dict((key.replace("_", "-"), value) for key, value in spec.items()
                 if key not in ("kind", "id") and value is not None)
    required, optional = CONSTRAINT_ATTRS[kind]
    missing = [key for key in required if key not in attrs]
    if missing:
        raise PlanError("%s constraint %r has no %s" % (kind, spec["id"], ", ".join(missing)))
    unknown = sorted(set(attrs) - set(required) - set(optional))
    if unknown:
        raise PlanError("%s constraint %r: unknown attribute(s) %s" % (kind, spec["id"], ", ".join(unknown)))
    elem = ET.Element(CONSTRAINT_TAGS[kind], {"id": spec["id"]})
    for key in sorted(attrs):
        elem.set(key, _text(attrs[key]))
    return elem


ALERT_SELECT = ("nodes", "fencing", "resources", "attributes")


def render_alert(spec):
    """<alert>: the agent's path, its meta attributes (timeout, timestamp-format), the kinds of event it
    is called for (all when none are selected) and its recipients, each {id, value}."""
    if not spec.get("id") or not spec.get("path"):
        raise PlanError("alert %r needs an id and a path" % spec.get("id"))
    alert = ET.Element("alert", {"id": spec["id"], "path": spec["path"]})
    _nvset(alert, "meta_attributes", "%s-meta_attributes" % spec["id"], spec.get("meta"))
    kinds = list(spec.get("select") or [])
    unknown = sorted(set(kinds) - set(ALERT_SELECT))
    if unknown:
        raise PlanError("alert %r: cannot select %s (only %s)" % (spec["id"], ", ".join(unknown), ", ".join(ALERT_SELECT)))
    if kinds:
        select = ET.SubElement(alert, "select")
        for kind in ALERT_SELECT:
            if kind in kinds:
                ET.SubElement(select, "select_" + kind)
    for recipient in spec.get("recipients") or []:
        if not recipient.get("id") or not recipient.get("value"):
            raise PlanError("a recipient of alert %r needs an id and a value" % spec["id"])
        ET.SubElement(alert, "recipient", {"id": recipient["id"], "value": recipient["value"]})
    return alert


def alert_meaning(elem):
    """What an alert does, whatever order Pacemaker keeps its parts in."""
    select = elem.find("select")
    return (elem.get("path"), tuple(sorted(_nvpairs(elem, "meta_attributes").items())),
            tuple(sorted(e.tag for e in select)) if select is not None else (),
            tuple(sorted((r.get("id"), r.get("value")) for r in elem.findall("recipient"))))


# ---------------------------------------------------------------- meaning of elements

def _nvpairs(elem, tag):
    values = {}
    for nvset in elem.findall(tag):
        for nvpair in nvset.findall("nvpair"):
            values[nvpair.get("name")] = nvpair.get("value")
    return values


def _interval(value):
    if (value or "0") in ("0", "0s", "0ms"):
        return 0
    try:
        return duration_ms(value)
    except ValueError:
        return value


def _ops(elem):
    ops = set()
    for op in elem.findall("operations/op"):
        rest = tuple(sorted((k, v) for k, v in op.attrib.items() if k not in ("id", "name", "interval")))
        ops.add((op.get("name"), _interval(op.get("interval")), rest))
    return ops


def meaning(elem, keep_operational):
    """What a resource element configures. keep_operational: {id: meta names the user sets}."""
    kept = keep_operational.get(elem.get("id"), ())
    meta = dict((k, v) for k, v in _nvpairs(elem, "meta_attributes").items()
                if k not in OPERATIONAL_META or k in kept)
    return (
        elem.tag,
        tuple((k, elem.get(k)) for k in ("id", "class", "provider", "type")),
        tuple(sorted(_nvpairs(elem, "instance_attributes").items())),
        tuple(sorted(meta.items())),
        tuple(sorted(_ops(elem), key=repr)),
        tuple(meaning(child, keep_operational) for child in elem if child.tag in RESOURCE_TAGS),
    )


def constraint_meaning(elem):
    return (elem.tag, tuple(sorted((k, v) for k, v in elem.attrib.items() if k != "id")),
            ET.tostring(elem, encoding="unicode") if len(elem) else "")


def _meta_names(elem):
    """{id: meta names set} for an element and everything inside it."""
    return dict((e.get("id"), set(_nvpairs(e, "meta_attributes"))) for e in elem.iter() if e.tag in RESOURCE_TAGS)


def _keep_operational_meta(live, wanted):
    """Copy run-time meta (target-role, is-managed) from live elements onto their replacements."""
    live_by_id = dict((e.get("id"), e) for e in live.iter() if e.tag in RESOURCE_TAGS)
    for elem in wanted.iter():
        if elem.tag not in RESOURCE_TAGS or elem.get("id") not in live_by_id:
            continue
        live_meta = _nvpairs(live_by_id[elem.get("id")], "meta_attributes")
        wanted_meta = _nvpairs(elem, "meta_attributes")
        for name in OPERATIONAL_META:
            if name in live_meta and name not in wanted_meta:
                meta = elem.find("meta_attributes")
                if meta is None:
                    meta = ET.Element("meta_attributes", {"id": "%s-meta_attributes" % elem.get("id")})
                    # meta_attributes goes before any child resource or operations
                    elem.insert(0, meta)
                ET.SubElement(meta, "nvpair", {"id": "%s-meta_attributes-%s" % (elem.get("id"), name),
                                               "name": name, "value": live_meta[name]})


# ---------------------------------------------------------------- display

def _secret_names(elem):
    return set(nv.get("name") for nv in elem.iter("nvpair") if is_secret(nv.get("name") or ""))


def _masked_copy(elem, secrets, mask_all=False, plain=None):
    """plain: {primitive id: parameter names shown in clear}; a live element's other values are masked
    too, since only this run's secret_params say which of them were secret."""
    shown = copy.deepcopy(elem)
    for primitive in shown.iter("primitive"):
        keep = None if plain is None else plain.get(primitive.get("id"), set())
        for nvset in primitive.findall("instance_attributes"):
            for nvpair in nvset.findall("nvpair"):
                name = nvpair.get("name")
                if mask_all or is_secret(name, secrets) or (keep is not None and name not in keep):
                    nvpair.set("value", MASK)
    return shown


def plain_parameters(wanted, secrets):
    """{primitive id: the names of the parameters the wanted element sets in clear}."""
    return dict((primitive.get("id"), set(nvpair.get("name") for nvset in primitive.findall("instance_attributes")
                                          for nvpair in nvset.findall("nvpair")
                                          if not is_secret(nvpair.get("name"), secrets)))
                for primitive in wanted.iter("primitive"))


def _indent(elem, level=0):
    pad = "\n" + "  " * level
    if len(elem):
        if not (elem.text or "").strip():
            elem.text = pad + "  "
        for child in elem:
            _indent(child, level + 1)
        if not (child.tail or "").strip():
            child.tail = pad
    if level and not (elem.tail or "").strip():
        elem.tail = pad


def show(elem, secrets=(), mask_all=False, plain=None):
    """elem as indented XML, secret parameter values masked (every parameter value with mask_all, every one
    not in plain when given)."""
    if elem is None:
        return ""
    shown = _masked_copy(elem, secrets, mask_all, plain)
    shown.tail = None
    _indent(shown)
    return ET.tostring(shown, encoding="unicode").rstrip() + "\n"


# ---------------------------------------------------------------- the plan

class _Plan(object):
    def __init__(self, live_xml):
        try:
            self.live = ET.fromstring(live_xml)
        except ET.ParseError as exc:
            raise PlanError("the live CIB is not XML: %s" % exc)
        self.candidate = copy.deepcopy(self.live)
        self.config = self._section("configuration")
        self.resources = self._section("configuration/resources")
        self.constraints = self._section("configuration/constraints")
        self.alerts = self.config.find("alerts")
        self.changes, self.before, self.after = [], [], []
        # Resources this plan removes: {id, primitives (every resource id inside), purged}.
        self.removed = []

    def _section(self, path):
        found = self.candidate.find(path)
        if found is None:
            raise PlanError("the CIB has no %s section" % path)
        return found

    def parent_of(self, elem):
        for parent in self.candidate.iter():
            if elem in list(parent):
                return parent
        return None

    # -- name/value sets: properties and defaults; names not given keep their values
    def nvpairs(self, section_tag, set_tag, set_id, values, label):
        if not values:
            return
        section = self.config.find(section_tag)
        if section is None:
            section = ET.Element(section_tag)
            # Keep the order Pacemaker writes: crm_config, rsc_defaults, op_defaults, nodes, ...
            earlier = SECTION_ORDER[:SECTION_ORDER.index(section_tag)]
            children = list(self.config)
            position = max([children.index(c) + 1 for c in children if c.tag in earlier] or [0])
            self.config.insert(position, section)
        nvset = section.find("%s[@id='%s']" % (set_tag, set_id))
        if nvset is None:
            nvset = ET.SubElement(section, set_tag, {"id": set_id})
        for name in sorted(values):
            value = _text(values[name])
            nvpair = nvset.find("nvpair[@name='%s']" % name)
            if nvpair is None:
                ET.SubElement(nvset, "nvpair", {"id": "%s-%s" % (set_id, name), "name": name, "value": value})
                self.changes.append("set %s %s=%s" % (label, name, value))
                self.after.append("%s %s=%s\n" % (label, name, value))
            elif nvpair.get("value") != value:
                self.changes.append("change %s %s: %s -> %s" % (label, name, nvpair.get("value"), value))
                self.before.append("%s %s=%s\n" % (label, name, nvpair.get("value")))
                self.after.append("%s %s=%s\n" % (label, name, value))
                nvpair.set("value", value)

    # -- removal
    def fencing_ids(self):
        return set(p.get("id") for p in self.resources.iter("primitive") if p.get("class") == "stonith")

    def remove_resource(self, elem, why):
        rsc_ids = set(e.get("id") for e in elem.iter() if e.tag in RESOURCE_TAGS)
        parent = self.parent_of(elem)
        parent.remove(elem)
        self.removed.append({"id": elem.get("id"), "ids": sorted(rsc_ids), "purged": why.endswith("purge")})
        self.changes.append("remove resource %s (%s)" % (elem.get("id"), why))
        # Which of a removed resource's parameters were secret is no longer known (it is not in
        # this run): show the names, never the values.
        self.before.append(show(elem, mask_all=True))
        for constraint in list(self.constraints):
            refs = set(constraint.get(a) for a in REFERENCE_ATTRS) | \
                set(r.get("id") for r in constraint.iter("resource_ref"))
            if refs & rsc_ids:
                self.remove_constraint(constraint, "it refers to %s" % elem.get("id"))

    def remove_constraint(self, elem, why):
        if elem in list(self.constraints):
            self.constraints.remove(elem)
            self.changes.append("remove constraint %s (%s)" % (elem.get("id"), why))
            self.before.append(show(elem))

    def absent(self, ids):
        for object_id in ids or []:
            if self.alerts is not None:
                alert = self.alerts.find("alert[@id='%s']" % object_id)
                if alert is not None:
                    self.alerts.remove(alert)
                    self.changes.append("remove alert %s (asked to be absent)" % object_id)
                    self.before.append(show(alert))
                    continue
            elem = self.resources.find(".//*[@id='%s']" % object_id)
            if elem is not None and elem.tag in RESOURCE_TAGS:
                self.remove_resource(elem, "asked to be absent")
                continue
            elem = self.constraints.find("*[@id='%s']" % object_id)
            if elem is not None:
                self.remove_constraint(elem, "asked to be absent")

    def purge(self, wanted_resource_ids, wanted_constraint_ids):
        fencing = self.fencing_ids()
        for elem in list(self.resources):
            inside = set(e.get("id") for e in elem.iter() if e.tag in RESOURCE_TAGS)
            if elem.get("id") not in wanted_resource_ids and not inside & fencing:
                self.remove_resource(elem, "not listed, purge")
        for elem in list(self.constraints):
            refs = set(elem.get(a) for a in REFERENCE_ATTRS)
            if elem.get("id") not in wanted_constraint_ids and not refs & fencing:
                self.remove_constraint(elem, "not listed, purge")

    # -- managed resources
    def resource(self, wanted, secrets):
        object_id = wanted.get("id")
        inside = [e.get("id") for e in wanted.iter() if e.tag in RESOURCE_TAGS]
        existing = {}
        for elem_id in inside:
            found = self.candidate.find(".//configuration//*[@id='%s']" % elem_id)
            if found is None:
                continue
            if found.tag not in RESOURCE_TAGS or self.resources.find(".//*[@id='%s']" % elem_id) is None:
                raise PlanError("id %r is already used by a %s element, not a resource" % (elem_id, found.tag))
            existing[elem_id] = found
        top = existing.get(object_id)
        if top is not None and self.parent_of(top) is not self.resources:
            owner = self.parent_of(top).get("id")
            if owner not in inside:
                raise PlanError("%r is inside %r, which this run does not manage; list %r as absent "
                                "or manage it" % (object_id, owner, owner))
        keep = _meta_names(wanted)
        if top is not None and top.tag == wanted.tag and set(existing) == set(
                e.get("id") for e in top.iter() if e.tag in RESOURCE_TAGS) and \
                meaning(top, keep) == meaning(wanted, keep):
            return
        for elem_id, elem in existing.items():
            _keep_operational_meta(elem, wanted)
        position = None
        if top is not None and self.parent_of(top) is self.resources:
            position = list(self.resources).index(top)
        # What the cluster has now: a parameter this run no longer sets in clear may have been secret.
        plain = plain_parameters(wanted, secrets)
        for elem_id, elem in existing.items():
            parent = self.parent_of(elem)
            if parent is not None:
                if elem is not top:
                    self.before.append(show(elem, secrets, plain=plain))
                parent.remove(elem)
        if position is None:
            self.resources.append(wanted)
        else:
            self.resources.insert(position, wanted)
        if top is not None:
            self.changes.append("update %s %s" % (wanted.tag, object_id))
            self.before.append(show(top, secrets, plain=plain))
        else:
            self.changes.append("create %s %s" % (wanted.tag, object_id))
        self.after.append(show(wanted, secrets))

    def replace_or_add(self, section, wanted, label, same_meaning):
        """Put wanted in section in place of the element with its id (kept where it is) unless that
        one already means the same; say what changed."""
        existing = section.find("*[@id='%s']" % wanted.get("id"))
        if existing is not None:
            if same_meaning(existing) == same_meaning(wanted):
                return
            position = list(section).index(existing)
            section.remove(existing)
            section.insert(position, wanted)
            self.changes.append("update %s %s" % (label, wanted.get("id")))
            self.before.append(show(existing))
        else:
            section.append(wanted)
            self.changes.append("create %s %s" % (label, wanted.get("id")))
        self.after.append(show(wanted))

    def constraint(self, wanted):
        self.replace_or_add(self.constraints, wanted, "constraint", constraint_meaning)

    def alert(self, wanted):
        if self.alerts is None:
            # Pacemaker keeps alerts after the constraints.
            self.alerts = ET.Element("alerts")
            self.config.insert(list(self.config).index(self.constraints) + 1, self.alerts)
        self.replace_or_add(self.alerts, wanted, "alert", alert_meaning)


def plan(live_xml, desired):
    """Return a dict: changed, changes (words), candidate (XML text), before, after (text)."""
    work = _Plan(live_xml)
    work.nvpairs("crm_config", "cluster_property_set", PROPERTY_SET_ID, desired.get("properties"), "property")
    work.nvpairs("rsc_defaults", "meta_attributes", "rsc-options", desired.get("rsc_defaults"), "resource default")
    work.nvpairs("op_defaults", "meta_attributes", "op-options", desired.get("op_defaults"), "operation default")

    wanted_resources = []
    for spec in desired.get("resources") or []:
        wanted_resources.append((render_primitive(spec), secret_names(spec)))
    for spec in desired.get("groups") or []:
        secrets = [n for m in spec.get("members") or [] for n in secret_names(m)]
        wanted_resources.append((render_group(spec), secrets))
    for spec in desired.get("clones") or []:
        wanted_resources.append((render_clone(spec), secret_names(spec.get("primitive") or {})))
    wanted_constraints = [render_constraint(spec) for spec in desired.get("constraints") or []]

    seen = set()
    resource_elems = [elem for elem, secrets in wanted_resources]
    for elem in resource_elems + wanted_constraints:
        for object_id in [e.get("id") for e in elem.iter() if e.tag in RESOURCE_TAGS] or [elem.get("id")]:
            if object_id in seen:
                raise PlanError("id %r is given twice" % object_id)
            seen.add(object_id)

    work.absent(desired.get("absent"))
    if desired.get("purge"):
        work.purge(set(e.get("id") for e in resource_elems), set(c.get("id") for c in wanted_constraints))
    for wanted, secrets in wanted_resources:
        work.resource(wanted, secrets)
    for wanted in wanted_constraints:
        work.constraint(wanted)
    for spec in desired.get("alerts") or []:
        work.alert(render_alert(spec))

    return {
        "changed": bool(work.changes),
        "changes": work.changes,
        "candidate": ET.tostring(work.candidate, encoding="unicode"),
        "before": "".join(work.before),
        "after": "".join(work.after),
        "removed": work.removed,
    }


def stopped_first(live_xml, resource_ids):
    """The live CIB with target-role Stopped on these resources and nothing else changed.

    Removing a resource that runs leaves an active orphan, which crm_verify rejects and Pacemaker
    would stop in an unplanned way; it is stopped first, in a change of its own.
    """
    root = ET.fromstring(live_xml)
    resources = root.find("configuration/resources")
    for rsc_id in resource_ids:
        elem = resources.find(".//*[@id='%s']" % rsc_id) if resources is not None else None
        if elem is None or elem.tag not in RESOURCE_TAGS:
            continue
        meta = elem.find("meta_attributes")
        if meta is None:
            meta = ET.Element("meta_attributes", {"id": "%s-meta_attributes" % rsc_id})
            elem.insert(0, meta)
        for nvpair in meta.findall("nvpair[@name='target-role']"):
            meta.remove(nvpair)
        ET.SubElement(meta, "nvpair", {"id": "%s-meta_attributes-target-role" % rsc_id,
                                       "name": "target-role", "value": "Stopped"})
    return ET.tostring(root, encoding="unicode")


def without_history_of(cib_xml, resource_ids):
    """The CIB with the status section's history of these resources dropped.

    crm_verify then checks the configuration without warning about resources that run now and
    would be removed (active orphans). The nodes' states stay: without them Pacemaker 2.1 counts
    both nodes unclean, schedules their fencing and crm_verify warns about that instead.
    """
    root = ET.fromstring(cib_xml)
    ids = set(resource_ids)
    for history in root.iter("lrm_resources"):
        for entry in list(history):
            if entry.get("id") in ids:
                history.remove(entry)
    return ET.tostring(root, encoding="unicode")


def managed_drbd(cib_xml):
    """The DRBD resources the cluster runs (ocf:linbit:drbd's drbd_resource parameter) in a CIB or part of one;
    empty for text that is not XML (no cluster yet)."""
    try:
        root = ET.fromstring(cib_xml)
    except ET.ParseError:
        return []
    return [name for name in (_nvpairs(prim, "instance_attributes").get("drbd_resource") for prim in root.iter("primitive")
                              if prim.get("type") == "drbd") if name]


def managed_addresses(cib_xml):
    """Addresses the cluster moves around (IPaddr2/IPv6addr parameters) in a CIB or part of one.

    Empty for text that is not XML (no cluster yet).
    """
    try:
        root = ET.fromstring(cib_xml)
    except ET.ParseError:
        return []
    found = []
    for prim in root.iter("primitive"):
        if prim.get("type") in ("IPaddr2", "IPaddr", "IPv6addr"):
            params = _nvpairs(prim, "instance_attributes")
            address = params.get("ip") or params.get("ipv6addr")
            if address:
                found.append(address)
    return found
