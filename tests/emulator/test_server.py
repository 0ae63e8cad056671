from __future__ import annotations

import shutil
import signal
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from axhub_orm.local import LocalAxHub

from .conftest import start_serve


def _setup_table(
    client: httpx.Client, local: LocalAxHub, columns: list[dict[str, Any]], slug: str = "load-app"
) -> str:
    app = client.post(
        f"/api/v1/tenants/{local.tenant_id}/apps", json={"slug": slug, "name": "Load"}
    )
    assert app.status_code == 201, app.text
    table = client.post(
        f"/api/v1/apps/{app.json()['id']}/tables", json={"table_name": "items", "columns": columns}
    )
    assert table.status_code == 201, table.text
    return f"/data/{local.tenant_slug}/{slug}/items"


def test_local_server_serves_on_loopback() -> None:
    """LocalAxHub serves on a free 127.0.0.1 port; PAT and JWT both authenticate."""
    with LocalAxHub() as local:
        assert local.base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=local.base_url) as c:
            by_pat = c.get("/api/v1/me", headers={"X-Api-Key": local.token}).json()
            by_jwt = c.get("/api/v1/me", headers={"Authorization": f"Bearer {local.jwt}"}).json()
        assert by_pat["user"]["id"] == by_jwt["user"]["id"] == local.user_id
        assert by_pat["tenants"][0]["tenant_slug"] == local.tenant_slug == "local"
        assert local.app.store is not None


def test_tokens_never_appear_in_repr() -> None:
    """repr(LocalAxHub) and repr(LocalUser) contain no token."""
    with LocalAxHub() as local:
        user = local.create_user(email="second@local.axhub", name="Second")
        text = repr(local) + repr(user) + repr(local.app) + repr(local.app.store)
        for secret in (local.token, local.jwt, user.token, user.jwt):
            assert secret not in text


def test_concurrent_inserts_are_all_kept() -> None:
    """8 threads x 250 inserts over the socket → count is exactly 2000 and no request fails."""
    errors: list[str] = []
    with LocalAxHub() as local:
        headers = {"X-Api-Key": local.token}
        with httpx.Client(base_url=local.base_url, headers=headers) as setup:
            url = _setup_table(
                setup, local, [{"name": "worker", "type": "int"}, {"name": "seq", "type": "int"}]
            )

        def work(worker: int) -> None:
            with httpx.Client(base_url=local.base_url, headers=headers) as c:
                for seq in range(250):
                    response = c.post(url, json={"worker": worker, "seq": seq})
                    if response.status_code != 201:
                        errors.append(response.text)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with httpx.Client(base_url=local.base_url, headers=headers) as c:
            count = c.get(f"{url}/_count", params={"worker": "gte.0"}).json()["count"]
            per_worker = [
                c.get(f"{url}/_count", params={"worker": f"eq.{w}"}).json()["count"]
                for w in range(8)
            ]
    assert errors == []
    assert count == 2000
    assert per_worker == [250] * 8


def test_reader_never_sees_a_half_written_row() -> None:
    """While writers insert and patch rows (a, b=2a), a concurrent reader always sees b == 2a."""
    stop = threading.Event()
    bad: list[dict[str, Any]] = []
    with LocalAxHub() as local:
        headers = {"X-Api-Key": local.token}
        with httpx.Client(base_url=local.base_url, headers=headers) as setup:
            url = _setup_table(
                setup,
                local,
                [
                    {"name": "a", "type": "int"},
                    {"name": "b", "type": "bigint"},
                    {"name": "note", "type": "text"},
                ],
                slug="rw-app",
            )

        def write() -> None:
            with httpx.Client(base_url=local.base_url, headers=headers) as c:
                for n in range(120):
                    row = c.post(url, json={"a": n, "b": 2 * n, "note": "x" * 500}).json()
                    c.patch(f"{url}/{row['id']}", json={"a": n + 1, "b": 2 * n + 2})

        def read() -> None:
            with httpx.Client(base_url=local.base_url, headers=headers) as c:
                while not stop.is_set():
                    items = c.get(url, params={"a": "gte.0", "per_page": 100, "sort": "-a"}).json()[
                        "items"
                    ]
                    bad.extend(r for r in items if r["b"] != 2 * r["a"] or len(r["note"]) != 500)

        writers = [threading.Thread(target=write) for _ in range(2)]
        reader = threading.Thread(target=read)
        reader.start()
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        stop.set()
        reader.join()
    assert bad == []


def test_state_survives_restart_with_db(tmp_path: Path) -> None:
    """Two LocalAxHub(db=…) in sequence share tenant, user, PAT, apps, tables and rows."""
    db = tmp_path / "state.sqlite3"
    with (
        LocalAxHub(db=db) as first,
        httpx.Client(base_url=first.base_url, headers={"X-Api-Key": first.token}) as c,
    ):
        url = _setup_table(c, first, [{"name": "a", "type": "text"}], slug="persist-app")
        row = c.post(url, json={"a": "kept"}).json()
        identity = (first.tenant_id, first.user_id, first.token, first.jwt)
    with (
        LocalAxHub(db=db) as second,
        httpx.Client(base_url=second.base_url, headers={"X-Api-Key": second.token}) as c,
    ):
        assert (second.tenant_id, second.user_id, second.token, second.jwt) == identity
        assert c.get(f"{url}/{row['id']}").json() == row


def test_create_user_gives_a_second_member() -> None:
    """create_user adds a tenant member whose PAT works and who is a different user."""
    with LocalAxHub() as local:
        user = local.create_user(email="other@local.axhub", name="Other")
        with httpx.Client(base_url=local.base_url) as c:
            me = c.get("/api/v1/me", headers={"X-Api-Key": user.token}).json()
        assert user.id != local.user_id
    assert me["user"] == {
        "id": user.id,
        "email": "other@local.axhub",
        "name": "Other",
        "platform_admin": False,
    }
    assert me["tenants"][0]["role"] == "member"


def test_attributes_need_a_running_server() -> None:
    """Reading base_url or token before start raises a clear RuntimeError."""
    local = LocalAxHub()
    with pytest.raises(RuntimeError, match="not running"):
        _ = local.base_url


def test_client_factories_configure_the_orm() -> None:
    """local.client() returns an axhub_orm.AxHub bound to the emulator."""
    with LocalAxHub() as local, local.client() as hub:
        assert hub.me().id == local.user_id


def _start_serve(db: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    return start_serve(["--db", str(db)])


def _stop_serve(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)  # a shell may start background jobs with SIGINT ignored
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    return out


def test_serve_command_persists_across_restart(tmp_path: Path) -> None:
    """`serve --db x.sqlite3` exports URL, ids and PAT; after Ctrl-C and a restart data remains."""
    db = tmp_path / "x.sqlite3"
    process, info = _start_serve(db)
    try:
        assert info["tenant_slug"] == "local"
        assert info["token"].startswith("axhub_pat_")
        with httpx.Client(base_url=info["base_url"], headers={"X-Api-Key": info["token"]}) as c:
            app = c.post(
                f"/api/v1/tenants/{info['tenant_id']}/apps", json={"slug": "cli-app", "name": "CLI"}
            ).json()
            c.post(
                f"/api/v1/apps/{app['id']}/tables",
                json={"table_name": "notes", "columns": [{"name": "body", "type": "text"}]},
            )
            row = c.post("/data/local/cli-app/notes", json={"body": "survives"}).json()
    finally:
        output = _stop_serve(process)
    assert "Stopping." in output
    process, again = _start_serve(db)
    try:
        assert (again["tenant_id"], again["user_id"], again["token"]) == (
            info["tenant_id"],
            info["user_id"],
            info["token"],
        )
        with httpx.Client(base_url=again["base_url"], headers={"X-Api-Key": again["token"]}) as c:
            fetched = c.get(f"/data/local/cli-app/notes/{row['id']}")
        assert fetched.json() == row
    finally:
        _stop_serve(process)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_serves_https_with_a_certificate(tmp_path: Path) -> None:
    """With ssl_certfile/ssl_keyfile the emulator serves HTTPS that a verifying client trusts."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    with LocalAxHub(ssl_certfile=tmp_path / "cert.pem", ssl_keyfile=tmp_path / "key.pem") as local:
        assert local.base_url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        with local.client(transport=httpx.HTTPTransport(verify=trust)) as hub:
            assert hub.me().id == local.user_id
        with httpx.Client(base_url=local.base_url) as untrusting, pytest.raises(httpx.ConnectError):
            untrusting.get("/api/v1/me")


def test_certificate_and_key_go_together(tmp_path: Path) -> None:
    """A certificate without its key (or the reverse) is refused at construction."""
    with pytest.raises(ValueError, match="go together"):
        LocalAxHub(ssl_certfile=tmp_path / "cert.pem")
