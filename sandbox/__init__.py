"""Demo and test tooling, never installed in production: an iMIS-compatible server with a
synthetic association (``sandbox.imis``) and the payments that association's members send
(``sandbox.payments``). Product apps never import it."""
