"""Rasa's prediction graph run node after node in this thread, without dask.

Rasa 3.6 runs its prediction graph (NLU on each message, dialogue policies on each action) through
``DaskGraphRunner``, which builds a dask task graph and hands it to dask's synchronous scheduler on every call.
For a graph of a dozen nodes that bookkeeping costs about a tenth of the Rasa server's CPU per turn (py-spy).
``SequentialGraphRunner`` runs the same nodes (``GraphNode`` objects built exactly as the dask runner builds them),
each once, in a topological order of the same minimal schema, with the same inputs and the same result. The
order of a target set is computed once.

``install()`` makes Rasa's message processor use it; call it before the model loads. Training is untouched.
"""

from __future__ import annotations

import graphlib
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` with ``run`` done in plain Python (same nodes, same hooks, same results)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], tuple[GraphSchema, list[str]]] = {}

    def _plan(self, targets: tuple[str, ...]) -> tuple[GraphSchema, list[str]]:
        """The minimal schema for ``targets`` and an order in which each node follows what it needs."""
        plan = self._plans.get(targets)
        if plan is None:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            dependencies = {name: [need for need in node.needs.values() if need in schema.nodes]
                            for name, node in schema.nodes.items()}
            plan = self._plans[targets] = (schema, list(graphlib.TopologicalSorter(dependencies).static_order()))
        return plan

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        """Runs the graph (see ``GraphRunner.run``)."""
        schema, order = self._plan(tuple(targets or self._graph_schema.target_names))
        # As in the dask graph: an input is the pair (its name, its value), like every node's output.
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                    f"passed to the `run` method are the same as node names in the graph schema.")
            results[name] = (name, value)
        try:
            for name in order:
                # A need that is neither a node nor an input is passed as it is, as dask passes it.
                needs = (results.get(need, need) for need in schema.nodes[name].needs.values())
                results[name] = self._instantiated_nodes[name](*needs)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in targets or self._graph_schema.target_names)


def install() -> None:
    """Make Rasa's message processor load its prediction graph into ``SequentialGraphRunner`` (idempotent)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
