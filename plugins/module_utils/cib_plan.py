# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a change to the Pacemaker CIB from a desired set of objects.

The planner compares what the user manages with the live CIB by meaning, not by text: ids of
nested elements, attribute order, the status section, epochs and the attributes Pacemaker or
the operator set at run time (target-role, is-managed) do not count. It returns the candidate
CIB (the live one with the managed objects replaced), the list of changes in words, and a
before/after rendering of the changed objects with secret parameters masked.
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
_SECRET_NAME = re.compile(r"(passw|secret|token|community|api_?key)", re.IGNORECASE)


class PlanError(ValueError):
    """The desired objects cannot be turned into a configuration."""


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_secret(name, extra=()):
    return bool(_SECRET_NAME.search(name)) or name in extra


def secret_values(desired):
    """Every secret parameter value in the desired objects (to hide from all output)."""
    values = set()
    for rsc in desired.get("resources", []):
        extra = rsc.get("secret_params", [])
        for name, value in (rsc.get("params") or {}).items():
            if is_secret(name, extra) and _text(value):
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
    _nvset(prim, "instance_attributes", "%s-instance_attributes" % spec["id"], spec.get("params") or {})
    _nvset(prim, "meta_attributes", "%s-meta_attributes" % spec["id"], spec.get("meta") or {})
    ops = spec.get("ops") or []
    if ops:
        ops_elem = ET.SubElement(prim, "operations")
        for op in ops:
            op_attrs = {"id": _op_id(spec["id"], op), "name": op["name"],
                        "interval": _text(op.get("interval", "0s"))}
            for key, value in sorted(op.items()):
                if key not in ("name", "interval"):
                    op_attrs[key] = _text(value)
            ET.SubElement(ops_elem, "op", op_attrs)
    return prim


def render_constraint(spec):
    kind = spec.get("kind")
    if kind != "location":
        raise PlanError("constraint %r: kind %r is not supported" % (spec.get("id"), kind))
    for key in ("id", "rsc", "node", "score"):
        if not spec.get(key):
            raise PlanError("location constraint %r has no %s" % (spec.get("id"), key))
    return ET.Element("rsc_location", {"id": spec["id"], "rsc": spec["rsc"], "node": spec["node"],
                                       "score": _text(spec["score"])})


# ---------------------------------------------------------------- meaning of live elements

def _nvpairs(elem, tag):
    values = {}
    for nvset in elem.findall(tag):
        for nvpair in nvset.findall("nvpair"):
            values[nvpair.get("name")] = nvpair.get("value")
    return values


def _interval(value):
    try:
        return duration_ms(value or "0") if (value or "0") not in ("0", "0s", "0ms") else 0
    except ValueError:
        return value


def _ops(elem):
    ops = set()
    for op in elem.findall("operations/op"):
        rest = tuple(sorted((k, v) for k, v in op.attrib.items() if k not in ("id", "name", "interval")))
        ops.add((op.get("name"), _interval(op.get("interval")), rest))
    return ops


def primitive_meaning(elem):
    meta = _nvpairs(elem, "meta_attributes")
    return {
        "tag": elem.tag,
        "class": elem.get("class"),
        "provider": elem.get("provider"),
        "type": elem.get("type"),
        "params": _nvpairs(elem, "instance_attributes"),
        "meta": meta,
        "ops": _ops(elem),
    }


def _comparable(meaning, desired_meta):
    result = dict(meaning)
    result["meta"] = dict((k, v) for k, v in meaning["meta"].items()
                          if k not in OPERATIONAL_META or k in desired_meta)
    return result


def constraint_meaning(elem):
    return (elem.tag, tuple(sorted((k, v) for k, v in elem.attrib.items() if k != "id")))


# ---------------------------------------------------------------- display

def _masked_copy(elem, secrets):
    shown = copy.deepcopy(elem)
    for nvset in shown.findall("instance_attributes"):
        for nvpair in nvset.findall("nvpair"):
            if is_secret(nvpair.get("name"), secrets):
                nvpair.set("value", MASK)
    return shown


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


def show(elem, secrets=()):
    if elem is None:
        return ""
    shown = _masked_copy(elem, secrets)
    _indent(shown)
    return ET.tostring(shown, encoding="unicode").rstrip() + "\n"


# ---------------------------------------------------------------- the plan

def _section(root, path):
    found = root.find(path)
    if found is None:
        raise PlanError("the CIB has no %s section" % path)
    return found


def _index_of(parent, child):
    return list(parent).index(child)


def plan(live_xml, desired):
    """Return a dict: changed, changes (words), candidate (XML text), before, after (text).

    desired: {"properties": {name: value}, "resources": [primitive specs],
              "constraints": [constraint specs]}
    """
    try:
        live = ET.fromstring(live_xml)
    except ET.ParseError as exc:
        raise PlanError("the live CIB is not XML: %s" % exc)
    candidate = copy.deepcopy(live)
    config = _section(candidate, "configuration")
    changes, before, after = [], [], []

    # Cluster properties: one nvpair each in cib-bootstrap-options, other names left alone.
    properties = desired.get("properties") or {}
    if properties:
        crm_config = _section(candidate, "configuration/crm_config")
        propset = crm_config.find("cluster_property_set[@id='%s']" % PROPERTY_SET_ID)
        if propset is None:
            propset = ET.SubElement(crm_config, "cluster_property_set", {"id": PROPERTY_SET_ID})
        for name in sorted(properties):
            value = _text(properties[name])
            nvpair = propset.find("nvpair[@name='%s']" % name)
            if nvpair is None:
                ET.SubElement(propset, "nvpair", {"id": "%s-%s" % (PROPERTY_SET_ID, name),
                                                  "name": name, "value": value})
                changes.append("set property %s=%s" % (name, value))
                after.append("property %s=%s\n" % (name, value))
            elif nvpair.get("value") != value:
                changes.append("change property %s: %s -> %s" % (name, nvpair.get("value"), value))
                before.append("property %s=%s\n" % (name, nvpair.get("value")))
                after.append("property %s=%s\n" % (name, value))
                nvpair.set("value", value)

    # Primitives: replaced whole when their meaning differs; run-time meta kept.
    resources = _section(candidate, "configuration/resources")
    seen_ids = set()
    for spec in desired.get("resources") or []:
        if spec.get("id") in seen_ids:
            raise PlanError("resource id %r is given twice" % spec.get("id"))
        seen_ids.add(spec.get("id"))
        wanted = render_primitive(spec)
        secrets = spec.get("secret_params") or []
        existing = candidate.find(".//configuration//*[@id='%s']" % spec["id"])
        if existing is not None and existing not in list(resources):
            raise PlanError("id %r is already used by a %s that is not a top-level resource"
                            % (spec["id"], existing.tag))
        desired_meta = spec.get("meta") or {}
        if existing is not None:
            live_meaning = primitive_meaning(existing)
            if _comparable(live_meaning, desired_meta) == _comparable(primitive_meaning(wanted), desired_meta):
                continue
            for name in OPERATIONAL_META:
                if name in live_meaning["meta"] and name not in desired_meta:
                    meta = wanted.find("meta_attributes")
                    if meta is None:
                        meta = ET.SubElement(wanted, "meta_attributes", {"id": "%s-meta_attributes" % spec["id"]})
                    ET.SubElement(meta, "nvpair", {"id": "%s-meta_attributes-%s" % (spec["id"], name),
                                                   "name": name, "value": live_meaning["meta"][name]})
            position = _index_of(resources, existing)
            resources.remove(existing)
            resources.insert(position, wanted)
            changes.append("update resource %s" % spec["id"])
            before.append(show(existing, secrets))
        else:
            resources.append(wanted)
            changes.append("create resource %s (%s:%s)" % (spec["id"], spec["class"], spec["type"]))
        after.append(show(wanted, secrets))

    # Constraints: replaced when their meaning differs.
    constraints = _section(candidate, "configuration/constraints")
    for spec in desired.get("constraints") or []:
        wanted = render_constraint(spec)
        existing = constraints.find("*[@id='%s']" % spec["id"])
        if existing is not None:
            if constraint_meaning(existing) == constraint_meaning(wanted):
                continue
            position = _index_of(constraints, existing)
            constraints.remove(existing)
            constraints.insert(position, wanted)
            changes.append("update constraint %s" % spec["id"])
            before.append(show(existing))
        else:
            constraints.append(wanted)
            changes.append("create constraint %s" % spec["id"])
        after.append(show(wanted))

    return {
        "changed": bool(changes),
        "changes": changes,
        "candidate": ET.tostring(candidate, encoding="unicode"),
        "before": "".join(before),
        "after": "".join(after),
    }
