"""What the pages need of a BPMN or DMN document: its nodes, lanes and flows, with labels.

Read from the XML with lxml (no entities, no network), never through SpiffWorkflow: a
diagram is drawn and a case's path resolved without parsing a spec. The BPMN files carry
Chinese ``name``s; :func:`node_label` gives the reader's language through the gettext
catalogue (the English of every name below is in ``locale/en``), so the XML is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: BPMN tags of the flow nodes a case can pass (tasks, events, gateways, sub-processes).
_NODE_TAG_ENDINGS = ("Task", "Event", "Gateway")
_NODE_TAGS = frozenset({"task", "subProcess", "callActivity", "transaction"})

#: The Chinese names the processes' and decision tables' files carry, so that the English
#: locale can show them beside the diagram (a name missing here is shown as written).
BPMN_NAMES = (
    gettext_noop("行政许可标准审批"),
    gettext_noop("即办件"),
    gettext_noop("建设工程联审"),
    gettext_noop("信用分级分类审批路径"),
    gettext_noop("审批路径"),
    gettext_noop("提交申请"),
    gettext_noop("审批路径缺省为一般程序"),
    gettext_noop("受理"),
    gettext_noop("受理期限届满"),
    gettext_noop("视为受理"),
    gettext_noop("是否受理"),
    gettext_noop("重点审查"),
    gettext_noop("重点审查结论"),
    gettext_noop("不予受理"),
    gettext_noop("补正材料"),
    gettext_noop("审查"),
    gettext_noop("审查结论"),
    gettext_noop("补正材料（审查阶段）"),
    gettext_noop("决定"),
    gettext_noop("是否准予"),
    gettext_noop("准予许可"),
    gettext_noop("不予许可"),
    gettext_noop("办结"),
    gettext_noop("当场办结"),
    gettext_noop("受理，并联审查"),
    gettext_noop("联合审查"),
    gettext_noop("全部意见到齐"),
    gettext_noop("汇总审查意见"),
    gettext_noop("汇总决定"),
    gettext_noop("一次性告知补正"),
    gettext_noop("一般程序"),
    gettext_noop("从严审查"),
    gettext_noop("告知承诺：准予许可"),
    gettext_noop("要求补正"),
    gettext_noop("转入审查"),
    gettext_noop("补正后重新受理"),
    gettext_noop("补正后继续审查"),
    gettext_noop("提出审查意见"),
    gettext_noop("备案"),
    gettext_noop("备案登记"),
    gettext_noop("是否予以备案"),
    gettext_noop("予以备案"),
    gettext_noop("不予备案"),
    gettext_noop("备案完成"),
    gettext_noop("补正后重新登记"),
)


@dataclass(frozen=True)
class Node:
    id: str
    #: The ``name`` as the file carries it (Chinese).
    name: str
    #: "UserTask", "ExclusiveGateway", "StartEvent" … (the tag, capitalised).
    type: str
    #: The lane's name: a staff role code, or "applicant".
    lane: str
    #: A gateway's default sequence flow ("" for none).
    default: str = ""


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    name: str


@dataclass(frozen=True)
class Diagram:
    """A BPMN document's process: its title, nodes in document order and sequence flows."""

    title: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)

    def flow_between(self, source: str, target: str) -> str | None:
        """The id of the sequence flow from ``source`` to ``target`` (None: no such flow)."""
        for flow in self.flows:
            if flow.source == source and flow.target == target:
                return flow.id
        return None


def _parse(source: str | bytes) -> etree._Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    data = source.encode() if isinstance(source, str) else source
    try:
        return etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def diagram_read(source: str | bytes) -> Diagram:
    """Nodes, lanes and sequence flows of the first process of a BPMN document."""
    root = _parse(source)
    if root is None:
        return Diagram()
    process = next(root.iter(f"{{{BPMN_NS}}}process"), None)
    if process is None:
        return Diagram()
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    nodes: dict[str, Node] = {}
    flows: list[Flow] = []
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        tag = element.tag.split("}", 1)[1]
        ident = element.get("id")
        if not ident:
            continue
        if tag == "sequenceFlow":
            flows.append(
                Flow(
                    id=ident,
                    source=element.get("sourceRef") or "",
                    target=element.get("targetRef") or "",
                    name=element.get("name") or "",
                )
            )
        elif tag.endswith(_NODE_TAG_ENDINGS) or tag in _NODE_TAGS:
            nodes[ident] = Node(
                id=ident,
                name=element.get("name") or "",
                type=tag[0].upper() + tag[1:],
                lane=lanes.get(ident, ""),
                default=element.get("default") or "",
            )
    return Diagram(title=process.get("name") or "", nodes=nodes, flows=flows)


def document_title(source: str | bytes) -> str:
    """The name of a BPMN process or of a DMN document's decision (its definitions' name)."""
    root = _parse(source)
    if root is None:
        return ""
    process = next(root.iter(f"{{{BPMN_NS}}}process"), None)
    if process is not None:
        return process.get("name") or ""
    return root.get("name") or ""


def node_label(name: str, fallback: str = "") -> str:
    """A name from a file in the reader's language (the Chinese name, translated)."""
    return _(name) if name else fallback


def label_pair(name: str, fallback: str = "") -> tuple[str, str]:
    """(Chinese, English) of a name from a file."""
    if not name:
        return fallback, fallback
    with translation.override("en"):
        english = _(name)
    return name, english


def main_path(diagram: Diagram) -> list[Node]:
    """The nodes of the usual way through a process: from its start event, each gateway's
    default flow (else its first), to the first end event reached.

    The guide shows it as 办理流程: who acts, in which order, when nothing goes wrong.
    """
    start = next((n for n in diagram.nodes.values() if n.type == "StartEvent"), None)
    if start is None:
        return []
    outgoing: dict[str, list[Flow]] = {}
    for flow in diagram.flows:
        outgoing.setdefault(flow.source, []).append(flow)
    path: list[Node] = []
    seen: set[str] = set()
    node: Node | None = start
    while node is not None and node.id not in seen:
        seen.add(node.id)
        path.append(node)
        flows = outgoing.get(node.id, [])
        if not flows or node.type == "EndEvent":
            break
        default = _default_flow(diagram, node.id)
        flow = next((f for f in flows if f.id == default), flows[0])
        node = diagram.nodes.get(flow.target)
    return path


def _default_flow(diagram: Diagram, node_id: str) -> str:
    node = diagram.nodes.get(node_id)
    return node.default if node is not None else ""
