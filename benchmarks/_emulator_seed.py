"""Fill an emulator store for ``emulator.py``; run under the ``axhub_orm`` being measured.

Creates (through the emulator's own handlers, in-process) one app with three owner-scoped
tables, then writes rows through the store directly, in one transaction per table:

- ``big``: ``--mine`` rows of user A and ``--big`` rows of user B, interleaved;
- ``mine``: ``--mine`` rows of user A only;
- ``small``: ``--small`` rows of user B.

Prints one JSON line: tenant slug, app slug, both users' tokens and one row id of A.
Uses only what every version of the emulator has (``create_app``, ``SyncASGITransport``,
``store.add_user``, ``store.table``, ``store.insert_row``).
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import httpx

from axhub_orm.local import SyncASGITransport, create_app

COLUMNS = [
    {"name": "owner_id", "type": "uuid", "nullable": False},
    {"name": "n", "type": "int"},
    {"name": "t", "type": "text"},
]


def _app(args: argparse.Namespace) -> Any:
    if args.store is None:
        return create_app(args.db)
    return create_app(store=args.store, schema=args.schema)  # type: ignore[call-arg]


def _fill(store: Any, app_id: str, name: str, owners: list[str]) -> None:
    with store.transaction():
        meta = store.table(app_id, name)
        for index, owner in enumerate(owners):
            store.insert_row(meta, {"owner_id": owner, "n": index, "t": f"row {index}"})


def main() -> None:
    """Seed and print the JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    parser.add_argument("--store")
    parser.add_argument("--schema")
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--mine", type=int, default=1_000)
    args = parser.parse_args()
    application = _app(args)
    store = application.store
    identity = store.identity
    with store.transaction():
        other = store.add_user(identity.tenant_id, f"b-{uuid.uuid4().hex[:8]}@bench.local", "B")
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    with httpx.Client(
        transport=SyncASGITransport(application),
        base_url="http://local",
        headers={"X-Api-Key": identity.pat},
    ) as client:
        app_id = client.post(
            f"/api/v1/tenants/{identity.tenant_id}/apps", json={"slug": slug, "name": "bench"}
        ).json()["id"]
        for name in ("big", "mine", "small"):
            body = {"table_name": name, "columns": COLUMNS, "owner_column": "owner_id"}
            client.post(f"/api/v1/apps/{app_id}/tables", json=body).raise_for_status()
            # B is a plain member: reading rows takes a grant (§13.23)
            grant = {"principal_type": "user", "principal_id": other.user_id, "actions": ["read"]}
            client.post(
                f"/api/v1/apps/{app_id}/tables/{name}/grants", json=grant
            ).raise_for_status()
    a, b = identity.user_id, other.user_id
    step = max(1, args.big // max(1, args.mine))
    big = [b] * args.big
    for index in range(args.mine):
        big.insert(index * (step + 1), a)
    _fill(store, app_id, "big", big)
    _fill(store, app_id, "mine", [a] * (args.mine - 1))  # and the single row below
    _fill(store, app_id, "small", [b] * args.small)
    with store.transaction():
        meta = store.table(app_id, "mine")
        row = store.insert_row(meta, {"owner_id": a, "n": -1, "t": "the single row"})
    store.close()
    print(
        json.dumps(
            {
                "tenant_slug": identity.tenant_slug,
                "app_slug": slug,
                "a_token": identity.pat,
                "b_token": other.pat,
                "a_row": row["id"],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
