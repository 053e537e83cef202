"""An iMIS-compatible sandbox: a deterministic synthetic association behind a REST server.

Typical use::

    from sandbox.imis import SandboxApp, SandboxServer, generate

    association = generate(members=500, seed=1)              # same inputs, same bytes
    app = SandboxApp(association, faults="latency=5ms,429=0.05")   # a WSGI callable
    with SandboxServer(app) as server:                          # real HTTP on 127.0.0.1
        server.base_url                                         # http://127.0.0.1:PORT/imis
    association.advance(30)                                     # time moves forward
    association.truth.terms                                     # hidden ground truth

Nothing here imports Django; ``manage.py imis_sandbox`` wraps it for the demo.
"""

from .app import DropConnection, SandboxApp
from .association import Association, Truth
from .faults import Faults, FaultSpecError, parse_spec
from .generator import DEFAULT_AS_OF, generate
from .server import SandboxServer

__all__ = [
    "DEFAULT_AS_OF",
    "Association",
    "DropConnection",
    "FaultSpecError",
    "Faults",
    "SandboxApp",
    "SandboxServer",
    "Truth",
    "generate",
    "parse_spec",
]
