"""The reference for the service benchmark: a BentoML endpoint that does nothing but answer.

Served exactly as the real service is (`bentoml serve benchmarks.bare_service:Bare`), it measures
what BentoML, HTTP on 127.0.0.1 and the client cost by themselves.
"""
from __future__ import annotations

import bentoml


@bentoml.service(name="bare", traffic={"timeout": 60})
class Bare:
    @bentoml.api
    def lookup(self, household_id: str) -> dict:
        """A small fixed answer naming the household."""
        return {"household_id": household_id, "score": 0.5, "band": 10, "tier": "high", "reasons": []}
