"""Rulesets and lookups name files; a device or a named pipe there is refused before it is read,
and no ruleset is read past its size limit, so nothing blocks or fills the memory."""

import os

import pytest

from salesrules.cli import cli

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)  # nobody writes to it: opening it for reading would wait for ever
    return path


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "fifo"])
def test_extends_of_a_special_file_is_refused_at_the_entry(cli_runner, tmp_path, fifo, special):
    target = str(fifo) if special == "fifo" else special
    child = tmp_path / "child.yaml"
    child.write_text(f"salesrules: 1\nname: child\nextends: ['{target}']\n")
    result = cli_runner.invoke(cli, ["validate", str(child)])
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"error: {child}:3:11: extended ruleset '{target}' is not a regular file (a device, a named pipe or a socket)"
    )


def test_a_ruleset_read_from_a_device_stops_at_the_size_limit(cli_runner):
    result = cli_runner.invoke(cli, ["validate", "/dev/zero"])
    assert result.exit_code == 1
    assert "file is larger than 10,000,000 bytes" in one_error_line(result)


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_lookup_of_a_special_file_is_refused(cli_runner, tmp_path, fifo, special):
    target = str(fifo) if special == "fifo" else special
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(
        "salesrules: 1\nname: r\nfields:\n  id: {type: string, key: true}\n  company: string\n"
        f"lookups:\n  accounts: {{file: '{target}', key: account, on: company, fields: {{size: integer}}}}\n"
        "tiers:\n  - {name: big, when: 'size > 10'}\n"
    )
    data = tmp_path / "data.csv"
    data.write_text("id,company\n1,Acme\n")
    result = cli_runner.invoke(cli, ["evaluate", str(data), "-r", str(ruleset), "-f", "csv"])
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"error: {target}: lookup 'accounts': not a regular file (a device, a named pipe or a socket); "
        "a lookup must be a file"
    )


def test_a_dmn_model_read_from_a_device_stops_at_its_size_limit(cli_runner, tmp_path):
    model = tmp_path / "model.dmn"
    model.symlink_to("/dev/zero")
    result = cli_runner.invoke(cli, ["validate", str(model)])
    assert result.exit_code == 1
    assert one_error_line(result) == f"error: {model}: the file is larger than 20 MB"
