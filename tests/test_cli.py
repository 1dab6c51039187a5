"""The ``workbench`` command: the demo runs end to end and prints correct numbers."""

import re
import subprocess
import sys

import workbench
from workbench.cli import main


def test_demo_prints_closed_form_values(capsys):
    assert main(["demo"]) == 0
    text = capsys.readouterr().out
    first = re.search(r"d\(x\^3\)/dx at x=3\s+= (\S+)", text)
    second = re.search(r"d2\(x\^3\)/dx2 \(nested tapes\) = (\S+)", text)
    assert abs(float(first.group(1)) - 3 * 3.0**2) < 1e-9
    assert abs(float(second.group(1)) - 6 * 3.0) < 1e-9
    final = re.findall(r"a (\d+\.\d+)\s+b (\d+\.\d+)", text)[-1]
    assert abs(float(final[0]) - 10.0) < 0.1 and abs(float(final[1]) - 5.0) < 0.1
    assert "a deliberately wrong custom gradient is caught" in text


def test_module_entry_point_prints_version():
    result = subprocess.run([sys.executable, "-m", "workbench", "version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == workbench.__version__
