# Makes this checkout importable as ansible_collections.twonode.ha, as ansible loads it.
import os
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_root = os.path.join(tempfile.gettempdir(), "twonode-unit-collections")
_link = os.path.join(_root, "ansible_collections", "twonode", "ha")
if not os.path.islink(_link):
    os.makedirs(os.path.dirname(_link), exist_ok=True)
    os.symlink(REPO, _link)
if _root not in sys.path:
    sys.path.insert(0, _root)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


@pytest.fixture
def fixture_text():
    def read(name):
        with open(os.path.join(FIXTURES, name)) as handle:
            return handle.read()
    return read
