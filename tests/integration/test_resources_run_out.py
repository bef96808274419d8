"""Resources running out are answered, not crashed on: intake's disk fills up while calls
come in; each caller is told the services cannot serve now and why (ServicesUnavailable:
"intake: its store's disk is full"), nothing half-made is kept, and calls succeed again as
soon as there is room. On a small tmpfs where this machine lets the test mount one,
otherwise on a store that raises what SQLite raises on a full disk."""
from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from integration_support import CALL_CENTRE

from services.intake.service import IntakeService
from services.shared.rpc_client import ServiceProxy, ServicesUnavailable


def lamp_call(external_id: str) -> dict:
    return {"channel": "hotline", "kind": "complaint", "category": "street_light",
            "caller": {"name": "市民", "phone": "13900000001"}, "merge": False,
            "description": "路灯不亮" * 20, "external_id": external_id,
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "estate": "开鲁新村"}}


@contextlib.contextmanager
def small_filesystem(tmp_path: Path, size: str = "4m"):
    """A tmpfs of ``size`` mounted on a folder of tmp_path, or None where mounting is not
    allowed (not root, no mount)."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(mountpoint)], capture_output=True).returncode == 0
    try:
        yield mountpoint if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


def fill(directory: Path) -> Path:
    """A file taking every byte left on the filesystem of ``directory``."""
    filler = directory / "filler"
    with open(filler, "wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


@pytest.mark.parametrize("disk", ["tmpfs", "store"])
def test_a_full_disk_is_answered_and_recovered_from(rabbit_config, settings, runner_factory,
                                                    tmp_path, disk):
    with small_filesystem(tmp_path) as small:
        if disk == "tmpfs" and small is None:
            pytest.skip("this machine does not let the test mount a tmpfs")
        small = small if disk == "tmpfs" else None
        where = small if small is not None else tmp_path
        switch = tmp_path / "disk-full-switch"
        config = {**settings, **rabbit_config, "MONGO_URI": f"litemongo:{where / 'data'}",
                  "STORE_INIT": "1", "STORAGE_FAULT_SWITCH": "" if small else str(switch)}
        runner = runner_factory(config, IntakeService)
        runner.start()
        client = ServiceProxy(config["AMQP_URI"], timeout=10)
        try:
            assert client.call("intake", "create_ticket", lamp_call("before"), CALL_CENTRE)

            if small is not None:
                filler = fill(small)
            else:
                switch.write_text("disk-full", encoding="utf-8")
            with pytest.raises(ServicesUnavailable, match="intake: its store's disk is full"):
                for n in range(200):  # until the last page of the store is used up
                    client.call("intake", "create_ticket", lamp_call(f"full-{n}"),
                                CALL_CENTRE)

            if small is not None:
                os.unlink(filler)
            else:
                switch.unlink()
            again = client.call("intake", "create_ticket", lamp_call(f"after-{uuid.uuid4()}"),
                                CALL_CENTRE)
            assert again["status"] == "received"
        finally:
            client.close()
