# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a candidate CIB offline and apply it to the cluster as one patch.

run(args) -> (rc, out, err) runs a command on the node (AnsibleModule.run_command in modules).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile


class ApplyError(RuntimeError):
    """Pacemaker refused the change; nothing was applied."""


def verify_and_apply(run, live, candidate, verify=True, apply=True):
    """crm_verify the candidate, then (when apply) crm_diff + cibadmin --patch. Returns crm_verify's words."""
    workdir = tempfile.mkdtemp(prefix="twonode-cib-")
    try:
        live_file = os.path.join(workdir, "live.xml")
        candidate_file = os.path.join(workdir, "candidate.xml")
        with open(live_file, "w") as handle:
            handle.write(live)
        with open(candidate_file, "w") as handle:
            handle.write(candidate)
        said = ""
        if verify:
            rc, out, err = run(["crm_verify", "--xml-file", candidate_file])
            said = (out + err).strip()
            if rc != 0:
                raise ApplyError("crm_verify rejected the new configuration; nothing was changed", said)
        if apply:
            rc, patch, err = run(["crm_diff", "--original", live_file, "--new", candidate_file, "--no-version"])
            if rc not in (0, 1):
                raise ApplyError("crm_diff failed (rc=%d): %s" % (rc, err.strip()), said)
            patch_file = os.path.join(workdir, "patch.xml")
            with open(patch_file, "w") as handle:
                handle.write(patch)
            rc, out, err = run(["cibadmin", "--patch", "--xml-file", patch_file])
            if rc != 0:
                raise ApplyError("cibadmin --patch failed (rc=%d): %s" % (rc, (err or out).strip()), said)
        return said
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
