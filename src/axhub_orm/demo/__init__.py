"""The demo: the seed README's quickstart and destructive flow, walked through the ORM.

``axhub-orm demo`` runs it.

By default the flow runs against the embedded emulator (:class:`~axhub_orm.local.LocalAxHub`
on a free loopback port, in this process). ``--remote``, or any of ``--base-url``, ``--token``,
``--token-type``, ``--tenant-id`` and ``--tenant-slug``, points it at a real AX Hub instead; the
options not given are read from the ``AXHUB_*`` variables (:meth:`AxHub.from_env`). Each step
prints the operation ids it sent, how many HTTP requests it took and the "Success assertion" of
the seed's operation table; the exit status is 0 only if every assertion held.

The flow is reusable: :func:`run_flow` and :func:`run_flow_async` take a client and the request
log of its transport and return one :class:`StepResult` per step. The recorded tests replay
exactly this flow from cassettes.

Example::

    from axhub_orm.local import LocalAxHub
    from axhub_orm.testing import CountingTransport

    log = CountingTransport()
    with LocalAxHub() as local, local.client(transport=log) as hub:
        results = run_flow(hub, log, FlowNames(slug="demo"))
    print(render_report(results))
"""

from ._async.flow import run_flow as run_flow_async
from ._cli import demo, render_report
from ._steps import FlowNames, RequestLog, StepResult, operation_id_of
from ._sync.flow import run_flow

__all__ = [
    "FlowNames",
    "RequestLog",
    "StepResult",
    "demo",
    "operation_id_of",
    "render_report",
    "run_flow",
    "run_flow_async",
]
