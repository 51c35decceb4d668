# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a candidate CIB offline and apply it to the cluster as one patch, through a pacemaker_cli.Node."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed


class ApplyError(RuntimeError):
    """Pacemaker refused the change; nothing was applied. args: (message, what crm_verify said)."""


def verify_and_apply(node, live, candidate, verify=True, apply=True):
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
            rc, out, err = node.run(["crm_verify", "--xml-file", candidate_file])
            # Warnings on a passing candidate are shown too, so both streams.
            said = (out + err).strip()
            if rc != 0:
                raise ApplyError("crm_verify rejected the new configuration; nothing was changed", said)
        if apply:
            try:
                # crm_diff exits 1 when the two differ.
                patch = node.must(["crm_diff", "--original", live_file, "--new", candidate_file, "--no-version"],
                                  "crm_diff failed (rc={rc}): {said}", ok=(0, 1))
                patch_file = os.path.join(workdir, "patch.xml")
                with open(patch_file, "w") as handle:
                    handle.write(patch)
                node.must(["cibadmin", "--patch", "--xml-file", patch_file], "cibadmin --patch failed (rc={rc}): {said}")
            except CommandFailed as exc:
                raise ApplyError(str(exc), said)
        return said
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
