"""What the findings engine asks the lineage graph (:mod:`mlops_desktop.core.lineage`).

:mod:`mlops_desktop.core.lineage` (and networkx with it) is imported when a graph is first
needed, not with this package: the Settings dialog imports the catalogue at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel

if TYPE_CHECKING:
    from mlops_desktop.core.lineage import LineageGraph


class LineageView(Protocol):
    """What the engine asks the lineage graph."""

    def version_phi(self, model: RegisteredModel, version: ModelVersion) -> bool: ...

    def upstream_dataset_ids(self, model: RegisteredModel, version: ModelVersion) -> list[str]: ...

    def upstream_producers(self, model: RegisteredModel, version: ModelVersion) -> list[str]: ...

    def pushed(self, model: RegisteredModel, version: ModelVersion) -> bool: ...


class GraphLineage:
    """:class:`LineageView` over a :class:`mlops_desktop.core.lineage.LineageGraph`."""

    def __init__(self, catalog: Catalog, graph: LineageGraph | None = None) -> None:
        from mlops_desktop.core import lineage

        self._version_node_id = lineage.version_node_id
        self.graph: LineageGraph = graph if graph is not None else lineage.build_graph(catalog)

    def _node(self, model: RegisteredModel, version: ModelVersion) -> str | None:
        node = self._version_node_id(model.name, version.version)
        return node if node in self.graph else None

    def version_phi(self, model: RegisteredModel, version: ModelVersion) -> bool:
        node = self._node(model, version)
        if node is None:
            return version.classification(model.tags).phi
        return bool(self.graph.effective_classification(node).phi)

    def upstream_dataset_ids(self, model: RegisteredModel, version: ModelVersion) -> list[str]:
        out = [d.dataset_id for d in version.datasets]
        node = self._node(model, version)
        if node is None:
            return out
        nodes = self.graph.g.nodes
        for up in self.graph.upstream(node):
            data = nodes[up]
            if data.get("kind") != "dataset":
                continue
            for ds_id in data.get("entity_ids") or []:
                if ds_id not in out:
                    out.append(str(ds_id))
        return out

    def upstream_producers(self, model: RegisteredModel, version: ModelVersion) -> list[str]:
        """Runs and jobs (that exist in a store) the version derives from."""
        node = self._node(model, version)
        if node is None:
            return []
        nodes = self.graph.g.nodes
        return [
            up
            for up in self.graph.upstream(node)
            if nodes[up].get("kind") in ("run", "job") and not nodes[up].get("missing")
        ]

    def pushed(self, model: RegisteredModel, version: ModelVersion) -> bool:
        node = self._node(model, version)
        if node is None:
            return False
        nodes = self.graph.g.nodes
        for down in self.graph.downstream(node, 1):
            data = nodes[down]
            if data.get("kind") == "deployment" and (
                data.get("subtype") == "pushed" or str(down).startswith("deployment:pushed:")
            ):
                return True
        return False


def default_lineage(catalog: Catalog) -> GraphLineage:
    """The lineage view the engine uses when none is given: the catalog's (shared) lineage graph."""
    from mlops_desktop.core.lineage import shared_graph

    return GraphLineage(catalog, shared_graph(catalog))
