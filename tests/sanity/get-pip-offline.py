# Stand-in for pip's get-pip.py, which ansible-test downloads from a host this machine cannot
# reach. ansible-test runs it as `python get-pip.py <pip install arguments>` in an empty venv;
# this installs pip from the standard library (ensurepip), then does that pip install.
# ensurepip runs in its own process: it points PIP_CONFIG_FILE at /dev/null in its environment,
# and the install after it needs the machine's pip configuration.
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
