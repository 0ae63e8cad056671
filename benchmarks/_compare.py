"""Side by side: the seed SDK, raw httpx, the ORM sync and async, each in a process of its own.

Every client runs the same workloads (``_clients.py``; ``seed_client.py`` in the seed venv)
against one emulator process, in rounds; the order of the clients rotates from round to round
so drift on the shared machine does not favour one of them. Ratios are taken within a round
(client against the seed of the same round) and the median over rounds is quoted, with the
range to show the noise.

Links: ``http`` (loopback), ``https`` (a certificate for 127.0.0.1 trusted through a bundle of
the system CAs plus it, given to every client as ``SSL_CERT_FILE``: what a real user's process
loads), and ``rtt`` (plain HTTP through ``_delay_proxy.py`` adding a 20 ms round trip).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _canned import COLUMN_DEFS, insert_values
from _delay_proxy import delay_proxy
from _emulator import client_kwargs, emulator_process, self_signed_certificate
from _report import divide, median

from axhub_orm import AxHub, Column, Table

__all__ = [
    "CLIENTS",
    "SINGLE",
    "Counts",
    "LinkResult",
    "ensure_seed_venv",
    "run_concurrency",
    "run_construct",
    "run_link",
]

HERE = Path(__file__).resolve().parent
SEED_REQUIREMENT = "axhub-sdk==0.3.1"
CLIENTS = ("seed", "httpx", "orm_sync", "orm_async")
SINGLE = ("insert", "get", "patch", "count")
WORKLOADS = (*SINGLE, "page")


@dataclass(frozen=True)
class Counts:
    """Per client and round: ``n`` of each single-row op, ``pages`` 100-row page reads."""

    n: int
    pages: int
    rounds: int


@dataclass
class LinkResult:
    """Per client, one ``{"seconds": {...}, "cpu": {...}}`` per round, for one link."""

    link: str
    counts: Counts
    rounds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seed_version: str | None = None

    def ops(self, workload: str) -> int:
        """Operations of ``workload`` in one round."""
        return self.counts.pages if workload == "page" else self.counts.n

    def cpu_us(self, client: str, workload: str) -> float:
        """Median over rounds of the client's CPU µs per operation."""
        per_round = [r["cpu"][workload] for r in self.rounds.get(client, [])]
        return median([c / self.ops(workload) * 1e6 for c in per_round])

    def _wall(self, run: dict[str, Any], workloads: tuple[str, ...]) -> float:
        return sum(run["seconds"][w] for w in workloads)

    def ops_per_s(self, client: str, workloads: tuple[str, ...]) -> float:
        """Median over rounds of operations per second over ``workloads`` together."""
        count = sum(self.ops(w) for w in workloads)
        return median([count / self._wall(r, workloads) for r in self.rounds.get(client, [])])

    def _paired(
        self, client: str, other: str, value: Callable[[dict[str, Any]], float]
    ) -> list[float]:
        mine, theirs = self.rounds.get(client, []), self.rounds.get(other, [])
        return [divide(value(a), value(b)) for a, b in zip(mine, theirs, strict=False)]

    def cpu_ratio(self, client: str, other: str, workload: str) -> list[float]:
        """Per round: CPU per op of ``client`` over ``other``'s."""
        return self._paired(client, other, lambda r: r["cpu"][workload])

    def speedup(self, client: str, other: str, workloads: tuple[str, ...]) -> list[float]:
        """Per round: throughput of ``client`` over ``other``'s (wall time over ``workloads``)."""
        return [1 / x for x in self._paired(client, other, lambda r: self._wall(r, workloads))]

    def as_dict(self) -> dict[str, Any]:
        """The raw figures."""
        return {
            "link": self.link,
            "counts": self.counts.__dict__,
            "seed_version": self.seed_version,
            "rounds": self.rounds,
        }


# --- the seed SDK venv ------------------------------------------------------------------------


def _has_seed(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run(  # noqa: S603  # the venv's own interpreter
        [str(python), "-c", "import axhub_sdk"], capture_output=True, check=False
    )
    return probe.returncode == 0


def ensure_seed_venv(venv: Path) -> Path:
    """The seed venv's interpreter, creating the venv and installing the seed SDK if needed."""
    python = venv / "bin" / "python"
    if _has_seed(python):
        return python
    print(f"creating {venv} with {SEED_REQUIREMENT} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603  # pip of the venv we just created
        [str(python), "-m", "pip", "install", "--quiet", SEED_REQUIREMENT], check=True
    )
    return python


# --- workers ----------------------------------------------------------------------------------


def _worker(python: str, script: str, job: dict[str, Any], env: dict[str, str]) -> Any:
    done = subprocess.run(  # noqa: S603  # our own scripts
        [python, str(HERE / script)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def _run_client(client: str, job: dict[str, Any], seed: Path | None, env: dict[str, str]) -> Any:
    if client == "seed":
        assert seed is not None
        return _worker(str(seed), "seed_client.py", job, env)
    return _worker(
        sys.executable, "_clients.py", {**job, "kind": "workloads", "client": client}, env
    )


@contextmanager
def _ca_bundle(cert: str) -> Iterator[str]:
    """A CA file holding the system's trusted CAs and our test certificate."""
    paths = ssl.get_default_verify_paths()
    system = Path(paths.cafile or paths.openssl_cafile)
    with tempfile.TemporaryDirectory(prefix="axhub-bench-ca-") as folder:
        bundle = Path(folder) / "bundle.pem"
        bundle.write_text(system.read_text() + "\n" + Path(cert).read_text())
        yield str(bundle)


def _columns() -> tuple[Column, ...]:
    return tuple(
        Column(c["name"], c["type"], nullable=c["nullable"], default=c["default"])
        for c in COLUMN_DEFS
    )


@contextmanager
def _server(link: str) -> Iterator[tuple[dict[str, str], dict[str, str], str]]:
    """The emulator for ``link``: its credentials, the clients' environment, their base URL."""
    with ExitStack() as stack:
        tls = stack.enter_context(self_signed_certificate()) if link == "https" else None
        creds = stack.enter_context(emulator_process(tls))
        env: dict[str, str] = {}
        if tls is not None:
            env["SSL_CERT_FILE"] = stack.enter_context(_ca_bundle(creds["cafile"]))
        base = creds["base_url"]
        if link == "rtt":
            base = stack.enter_context(delay_proxy(base, rtt_ms=20))
        yield creds, env, base


def _admin(creds: dict[str, str]) -> AxHub:
    verify: ssl.SSLContext | bool = True
    if "cafile" in creds:
        verify = ssl.create_default_context(cafile=creds["cafile"])
    return AxHub(**client_kwargs(creds), verify=verify)


def _page_table(admin: AxHub, app_id: str, user: str) -> Table:
    table = admin.apps.get(app_id).tables.create(
        "pages", columns=_columns(), owner_column="owner_id"
    )
    for i in range(100):
        table.rows.create(**(insert_values(i) | {"owner_id": user}))
    return table


def run_link(
    link: str,
    counts: Counts,
    seed: Path | None,
    progress: Callable[[str], None],
    clients: tuple[str, ...] = CLIENTS,
) -> LinkResult:
    """Every client, ``counts.rounds`` times in rotating order, over ``link``."""
    clients = tuple(c for c in clients if c != "seed" or seed is not None)
    result = LinkResult(link, counts)
    with _server(link) as (creds, env, base), _admin(creds) as admin:
        user = creds["user_id"]
        app = admin.apps.create(slug=f"bench-{link}-{int(time.time())}", name="benchmark")
        pages = _page_table(admin, str(app.id), user)
        bodies = [insert_values(i) | {"owner_id": user} for i in range(counts.n)]
        for rnd in range(counts.rounds):
            order = clients[rnd % len(clients) :] + clients[: rnd % len(clients)]
            progress(f"{link} round {rnd + 1}/{counts.rounds}: {', '.join(order)}")
            for client in order:
                table = app.tables.create(
                    f"{client}_{rnd}", columns=_columns(), owner_column="owner_id"
                )
                job = {
                    **creds,
                    "base_url": base,
                    "app_id": str(app.id),
                    "app_slug": app.slug,
                    "table": table.name,
                    "page_table": pages.name,
                    "bodies": bodies,
                    "n": counts.n,
                    "pages": counts.pages,
                }
                answer = _run_client(client, job, seed, env)
                if client == "seed":
                    result.seed_version = answer.pop("version", None)
                result.rounds.setdefault(client, []).append(answer)
    return result


def run_concurrency(
    levels: list[int], n: int, rounds: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Async gets at each concurrency level, in rounds whose level order rotates."""
    out: dict[str, list[dict[str, Any]]] = {str(level): [] for level in levels}
    with emulator_process() as creds, _admin(creds) as admin:
        app = admin.apps.create(slug=f"bench-conc-{int(time.time())}", name="benchmark")
        table = _page_table(admin, str(app.id), creds["user_id"])
        for rnd in range(rounds):
            order = levels[rnd % len(levels) :] + levels[: rnd % len(levels)]
            progress(f"concurrency round {rnd + 1}/{rounds}: {order}")
            job = {
                **creds,
                "kind": "concurrency",
                "app_id": str(app.id),
                "table": table.name,
                "levels": order,
                "n": n,
            }
            answer = _worker(sys.executable, "_clients.py", job, {})
            for level, figures in answer.items():
                out[level].append(figures)
    return {"n": n, "levels": out}


def run_construct(repeats: int) -> list[dict[str, Any]]:
    """``AxHub()`` construction times, each repeat in a fresh process."""
    return [
        _worker(sys.executable, "_clients.py", {"kind": "construct", "n": 50}, {})
        for _ in range(repeats)
    ]
