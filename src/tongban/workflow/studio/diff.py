"""What changed between two versions, read from their XML (no engine needed).

BPMN: flow nodes (events, tasks, gateways) added, removed or changed in name, type, lane,
timer or multi-instance loop; sequence flows added, removed or changed in source, target,
name or condition. DMN: inputs, outputs and rules added, removed or changed.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from tongban.workflow import engine
from tongban.workflow.studio.validation import BPMN_NS, DMN_NAMESPACES

#: BPMN element types that are nodes of the diagram.
NODE_TYPES = frozenset(
    {
        "startEvent",
        "endEvent",
        "userTask",
        "scriptTask",
        "serviceTask",
        "manualTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "task",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "boundaryEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
    }
)


def _root(source: str) -> Any | None:
    if not source:
        return None
    try:
        return etree.fromstring(source.encode(), engine.xml_parser())
    except etree.XMLSyntaxError:
        return None


def _text(element: Any, path: str, ns: dict[str, str]) -> str:
    return " ".join((element.findtext(path, default="", namespaces=ns) or "").split())


def _bpmn(root: Any) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    ns = {"b": BPMN_NS}
    lanes: dict[str, str] = {}
    for lane in root.iterfind(".//b:lane", ns):
        for ref in lane.iterfind("b:flowNodeRef", ns):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    nodes: dict[str, dict[str, str]] = {}
    flows: dict[str, dict[str, str]] = {}
    for process in root.iterfind("b:process", ns):
        for element in process.iter():
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element.tag).localname
            element_id = element.get("id") or ""
            if local in NODE_TYPES and element_id:
                nodes[element_id] = {
                    "name": element.get("name") or "",
                    "type": local,
                    "lane": lanes.get(element_id, ""),
                    "timer": _text(element, ".//b:timeDate", ns)
                    or _text(element, ".//b:timeDuration", ns),
                    "loop": _text(element, ".//b:loopDataInputRef", ns),
                    "script": _text(element, "b:script", ns),
                    "attached_to": element.get("attachedToRef") or "",
                    "default": element.get("default") or "",
                }
            elif local == "sequenceFlow" and element_id:
                flows[element_id] = {
                    "name": element.get("name") or "",
                    "source": element.get("sourceRef") or "",
                    "target": element.get("targetRef") or "",
                    "condition": _text(element, "b:conditionExpression", ns),
                }
    return nodes, flows


def _dmn(root: Any) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    namespace = etree.QName(root).namespace or ""
    ns = {"d": namespace}
    nodes: dict[str, dict[str, str]] = {}
    for element in root.iterfind(".//d:input", ns):
        nodes[element.get("id") or ""] = {
            "type": "input",
            "name": element.get("label") or "",
            "expression": _text(element, "d:inputExpression/d:text", ns),
        }
    for element in root.iterfind(".//d:output", ns):
        nodes[element.get("id") or ""] = {
            "type": "output",
            "name": element.get("name") or element.get("label") or "",
        }
    for element in root.iterfind(".//d:rule", ns):
        entries = [" ".join((t.text or "").split()) for t in element.iterfind(".//d:text", ns)]
        nodes[element.get("id") or ""] = {
            "type": "rule",
            "name": _text(element, "d:description", ns),
            "entries": " | ".join(entries),
        }
    return nodes, {}


def _parts(source: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    root = _root(source)
    if root is None:
        return {}, {}
    if etree.QName(root).namespace in DMN_NAMESPACES:
        return _dmn(root)
    return _bpmn(root)


def _changes(old: dict[str, str], new: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"field": key, "old": old.get(key, ""), "new": new.get(key, "")}
        for key in sorted(set(old) | set(new), key=lambda k: (k != "name", k))
        if old.get(key, "") != new.get(key, "")
    ]


def definition_diff(*, old: str, new: str) -> dict[str, list[dict[str, Any]]]:
    """Nodes and flows added, removed and changed from source ``old`` to source ``new``."""
    old_nodes, old_flows = _parts(old)
    new_nodes, new_flows = _parts(new)

    def listing(
        before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        added = [{"id": k, **after[k]} for k in after if k not in before]
        removed = [{"id": k, **before[k]} for k in before if k not in after]
        changed = [
            {"id": k, "name": after[k].get("name", ""), "changes": changes}
            for k in after
            if k in before and (changes := _changes(before[k], after[k]))
        ]
        return added, removed, changed

    nodes_added, nodes_removed, nodes_changed = listing(old_nodes, new_nodes)
    flows_added, flows_removed, flows_changed = listing(old_flows, new_flows)
    return {
        "nodes_added": nodes_added,
        "nodes_removed": nodes_removed,
        "nodes_changed": nodes_changed,
        "flows_added": flows_added,
        "flows_removed": flows_removed,
        "flows_changed": flows_changed,
    }
