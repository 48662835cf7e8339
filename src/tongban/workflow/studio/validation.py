"""Validation of a candidate version before anyone may approve it.

Each rule names the element (its id) and the line where it can. The rules, in order:

1. size: at most ``MAX_SOURCE_BYTES``;
2. no DTD and no entity declarations (refused before parsing; the parser resolves no entity,
   loads no DTD and never touches the network);
3. well-formed XML;
4. the BPMN 2.0 or DMN 1.x XML schema;
5. one executable process (one decision) whose id is the name;
6. only the elements the platform runs (events, user and script tasks, gateways, timers,
   sequence flows, lanes, the diagram) — no service or business-rule tasks, call activities,
   extension elements (SpiffWorkflow's pre/post scripts live there) or foreign namespaces;
7. every user task in a lane the platform routes, with a task kind it knows;
8. every gateway condition in the allowed expression form (``expressions.py``);
9. every timer a ``timeDate`` that is a bare known process variable (deadlines are computed
   in working days by the platform and handed to the process);
10. a multi-instance task loops over a known variable into a known variable;
11. a script task only with a script identical to one of the published version;
12. DMN: input expressions and entries in the allowed form over the decision's known inputs,
    outputs only those the platform reads, each output entry a constant among the known values;
13. SpiffWorkflow parses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from tongban.core.errors import FieldError, ValidationFailed
from tongban.workflow import engine
from tongban.workflow.choices import DefinitionKind
from tongban.workflow.studio.expressions import expression_refusal, literal_value

#: The largest upload accepted (the largest release file is about 30 KB).
MAX_SOURCE_BYTES = 512 * 1024
#: Enough errors to fix a file; the rest would be noise.
MAX_ERRORS = 30

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/BPMN/20100524/DI",
        "http://www.omg.org/spec/DD/20100524/DC",
        "http://www.omg.org/spec/DD/20100524/DI",
    }
)
DMN_NAMESPACES = frozenset(
    {
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
    }
)
DMN_DI_NAMESPACES = frozenset(
    {
        "https://www.omg.org/spec/DMN/20191111/DMNDI/",
        "http://www.omg.org/spec/DMN/20180521/DMNDI/",
        "http://www.omg.org/spec/DMN/20180521/DC/",
        "http://www.omg.org/spec/DMN/20180521/DI/",
    }
)

#: BPMN elements a version from the web may use.
ALLOWED_BPMN = frozenset(
    {
        "definitions",
        "collaboration",
        "participant",
        "process",
        "laneSet",
        "lane",
        "childLaneSet",
        "flowNodeRef",
        "documentation",
        "textAnnotation",
        "text",
        "association",
        "startEvent",
        "endEvent",
        "userTask",
        "scriptTask",
        "script",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "sequenceFlow",
        "conditionExpression",
        "incoming",
        "outgoing",
        "boundaryEvent",
        "intermediateCatchEvent",
        "timerEventDefinition",
        "timeDate",
        "terminateEventDefinition",
        "multiInstanceLoopCharacteristics",
        "loopDataInputRef",
        "inputDataItem",
    }
)

#: Checks shown in the report, in order (code → label).
RULES: dict[str, Any] = {
    "size": gettext_lazy("文件大小"),
    "xml": gettext_lazy("XML 格式（不含 DTD/实体）"),
    "schema": gettext_lazy("BPMN 2.0 / DMN 模式校验"),
    "identity": gettext_lazy("流程（决策）标识与名称一致"),
    "elements": gettext_lazy("只含平台支持的元素"),
    "lanes": gettext_lazy("每个人工任务都有岗位和待办类型"),
    "expressions": gettext_lazy("网关条件在允许的表达式范围内"),
    "timers": gettext_lazy("定时器只引用已知的流程变量"),
    "scripts": gettext_lazy("脚本任务与已发布版本一致"),
    "outputs": gettext_lazy("决策输出为平台已知的名称和取值"),
    "engine": gettext_lazy("流程引擎可以解析"),
}


@dataclass(frozen=True)
class Vocabulary:
    """What the platform can run, as the app that runs the cases declares it."""

    #: Process variables a condition, timer or loop may name.
    variables: frozenset[str]
    #: Why a user task (lane name, task id) cannot be routed, or None when it can.
    user_task_refusal: Callable[[str, str], str | None]
    #: Per decision table: its input variables.
    decision_inputs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Per decision table: output name → the values the platform knows (None: any text).
    decision_outputs: Mapping[str, Mapping[str, frozenset[str] | None]] = field(
        default_factory=dict
    )


@dataclass
class _Errors:
    items: list[dict[str, Any]] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def add(self, rule: str, message: str, *, element: str = "", line: int | None = None) -> None:
        self.failed.add(rule)
        if len(self.items) < MAX_ERRORS:
            self.items.append({"rule": rule, "element": element, "line": line, "message": message})


def _local(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):  # a comment or processing instruction
        return "", ""
    qname = etree.QName(tag)
    return qname.namespace or "", qname.localname


def _where(element: Any) -> tuple[str, int | None]:
    """The id of ``element`` (or of its nearest parent with one) and its line."""
    node = element
    while node is not None and not node.get("id"):
        node = node.getparent()
    return (node.get("id") if node is not None else ""), element.sourceline


def _line_of(source: bytes, index: int) -> int:
    return source.count(b"\n", 0, index) + 1


def _parse(source: bytes, errors: _Errors) -> Any | None:
    if len(source) > MAX_SOURCE_BYTES:
        errors.add(
            "size",
            _("文件过大：%(size)s 字节，最多 %(max)s 字节")
            % {"size": len(source), "max": MAX_SOURCE_BYTES},
        )
        return None
    declaration = re.search(rb"<!(DOCTYPE|ENTITY)", source)
    if declaration is not None:
        errors.add(
            "xml",
            _("不允许 DTD 或实体声明（%(what)s）") % {"what": declaration.group(0).decode()},
            line=_line_of(source, declaration.start()),
        )
        return None
    try:
        return etree.fromstring(source, engine.xml_parser())
    except etree.XMLSyntaxError as exc:
        errors.add("xml", _("XML 格式错误：%(error)s") % {"error": exc.msg}, line=exc.lineno)
        return None


def _schema(root: Any, kind: str, errors: _Errors) -> None:
    if kind == DefinitionKind.BPMN:
        schema = engine.bpmn_schema()
    else:
        schema = engine.dmn_schema(root.nsmap.get(None) or etree.QName(root).namespace or "")
    if schema is None:
        errors.add("schema", _("不支持的 DMN 版本"), line=root.sourceline)
        return
    if not schema.validate(root):
        for entry in list(schema.error_log)[:10]:
            errors.add("schema", str(entry.message), line=entry.line)


# --- BPMN ---------------------------------------------------------------------------------------


def _lanes(process: Any) -> dict[str, str]:
    """BPMN id of each flow node → the name of its lane."""
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    return lanes


def published_scripts(source: str) -> frozenset[str]:
    """The script texts of a (published) BPMN source, stripped."""
    if not source:
        return frozenset()
    try:
        root = etree.fromstring(source.encode(), engine.xml_parser())
    except etree.XMLSyntaxError:
        return frozenset()
    return frozenset((s.text or "").strip() for s in root.iter(f"{{{BPMN_NS}}}script"))


def _check_bpmn(
    root: Any, name: str, vocabulary: Vocabulary, scripts: frozenset[str], errors: _Errors
) -> None:
    if _local(root.tag) != (BPMN_NS, "definitions"):
        errors.add("schema", _("根元素不是 BPMN 2.0 的 definitions"), line=root.sourceline)
        return
    processes = root.findall(f"{{{BPMN_NS}}}process")
    ids = [p.get("id") for p in processes]
    if ids != [name]:
        errors.add(
            "identity",
            _("文件必须只含一个流程，其标识为“%(name)s”；实际为：%(ids)s")
            % {"name": name, "ids": "、".join(str(i) for i in ids) or _("无")},
            element=",".join(str(i) for i in ids),
            line=processes[0].sourceline if processes else root.sourceline,
        )
    for element in root.iter():
        namespace, local = _local(element.tag)
        if not local:
            continue
        if namespace in DI_NAMESPACES:
            continue
        if namespace != BPMN_NS or local not in ALLOWED_BPMN:
            element_id, line = _where(element)
            errors.add(
                "elements",
                _("不支持通过网页上传的元素“%(tag)s”（须随版本发布的审核文件提供）")
                % {"tag": local},
                element=element_id,
                line=line,
            )
    if not processes:
        return
    process = processes[0]
    lanes = _lanes(process)
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        task_id = task.get("id") or ""
        lane = lanes.get(task_id)
        if lane is None:
            why: str | None = _("人工任务不在任何泳道中，没有岗位可以办理")
        else:
            why = vocabulary.user_task_refusal(lane, task_id)
        if why is not None:
            errors.add("lanes", why, element=task_id, line=task.sourceline)
    for condition in process.iter(f"{{{BPMN_NS}}}conditionExpression"):
        why = expression_refusal(condition.text or "", variables=vocabulary.variables)
        if why is not None:
            element_id, line = _where(condition)
            errors.add(
                "expressions",
                _("条件“%(text)s”不在允许范围内：%(why)s")
                % {"text": (condition.text or "").strip()[:80], "why": why},
                element=element_id,
                line=line,
            )
    for timer in process.iter(f"{{{BPMN_NS}}}timeDate"):
        _check_variable(timer, vocabulary, errors, rule="timers")
    for loop in process.iter(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
        for ref in loop.findall(f"{{{BPMN_NS}}}loopDataInputRef"):
            _check_variable(ref, vocabulary, errors, rule="expressions")
        for item in loop.findall(f"{{{BPMN_NS}}}inputDataItem"):
            if (item.get("name") or item.get("id")) not in vocabulary.variables:
                element_id, line = _where(item)
                errors.add(
                    "expressions",
                    _("多实例变量“%(name)s”不是已知的流程变量")
                    % {"name": item.get("name") or item.get("id")},
                    element=element_id,
                    line=line,
                )
    for script in process.iter(f"{{{BPMN_NS}}}script"):
        if (script.text or "").strip() not in scripts:
            element_id, line = _where(script)
            errors.add(
                "scripts",
                _("脚本与当前发布版本中的任何脚本都不相同；新的脚本须随版本发布的审核文件提供"),
                element=element_id,
                line=line,
            )
    for task in process.iter(f"{{{BPMN_NS}}}scriptTask"):
        if task.find(f"{{{BPMN_NS}}}script") is None:
            errors.add("scripts", _("脚本任务没有脚本"), element=task.get("id") or "")


def _check_variable(element: Any, vocabulary: Vocabulary, errors: _Errors, *, rule: str) -> None:
    text = (element.text or "").strip()
    if text not in vocabulary.variables:
        element_id, line = _where(element)
        errors.add(
            rule,
            _("“%(text)s”不是已知的流程变量（只能引用变量，如 acceptance_deadline）")
            % {"text": text[:80]},
            element=element_id,
            line=line,
        )


# --- DMN ----------------------------------------------------------------------------------------


_PLACEHOLDER = "dmninputexpr"
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _entry_refusal(text: str, inputs: frozenset[str]) -> str | None:
    text = text.strip()
    if text in ("", "-"):
        return None
    text = _QUESTION.sub(_PLACEHOLDER, text)
    variables = inputs | {_PLACEHOLDER}
    why = expression_refusal(text, variables=variables)
    if why is not None and why == expression_refusal("(", variables=variables):
        # Not an expression on its own: an operator with the input on its left ("< 5").
        why = expression_refusal(f"{_PLACEHOLDER} {text}", variables=variables)
    return why


def _check_dmn(root: Any, name: str, vocabulary: Vocabulary, errors: _Errors) -> None:
    namespace, local = _local(root.tag)
    if namespace not in DMN_NAMESPACES or local != "definitions":
        errors.add("schema", _("根元素不是 DMN 的 definitions"), line=root.sourceline)
        return
    decisions = root.findall(f"{{{namespace}}}decision")
    ids = [d.get("id") for d in decisions]
    if ids != [name]:
        errors.add(
            "identity",
            _("文件必须只含一个决策，其标识为“%(name)s”；实际为：%(ids)s")
            % {"name": name, "ids": "、".join(str(i) for i in ids) or _("无")},
            element=",".join(str(i) for i in ids),
            line=decisions[0].sourceline if decisions else root.sourceline,
        )
    for element in root.iter():
        ns, tag = _local(element.tag)
        if tag and ns not in DMN_NAMESPACES and ns not in DMN_DI_NAMESPACES:
            element_id, line = _where(element)
            errors.add(
                "elements",
                _("不支持的元素“%(tag)s”") % {"tag": tag},
                element=element_id,
                line=line,
            )
    if name not in vocabulary.decision_outputs:
        errors.add("outputs", _("平台没有使用名为“%(name)s”的决策表") % {"name": name})
        return
    if not decisions:
        return
    inputs = vocabulary.decision_inputs.get(name, frozenset())
    known = vocabulary.decision_outputs[name]
    dmn = {"d": namespace}
    for expression in decisions[0].iterfind(".//d:inputExpression/d:text", dmn):
        why = expression_refusal(expression.text or "", variables=inputs)
        if why is not None:
            element_id, line = _where(expression)
            errors.add("expressions", why, element=element_id, line=line)
    for entry in decisions[0].iterfind(".//d:inputEntry/d:text", dmn):
        why = _entry_refusal(entry.text or "", inputs)
        if why is not None:
            element_id, line = _where(entry)
            errors.add(
                "expressions",
                _("条件“%(text)s”不在允许范围内：%(why)s")
                % {"text": (entry.text or "").strip()[:80], "why": why},
                element=element_id,
                line=line,
            )
    outputs = decisions[0].findall(".//d:output", dmn)
    output_names = [o.get("name") or "" for o in outputs]
    for output in outputs:
        if (output.get("name") or "") not in known:
            errors.add(
                "outputs",
                _("未知的输出“%(output)s”（平台只读取：%(known)s）")
                % {"output": output.get("name") or "", "known": "、".join(sorted(known))},
                element=output.get("id") or "",
                line=output.sourceline,
            )
    for rule in decisions[0].iterfind(".//d:rule", dmn):
        for index, entry in enumerate(rule.findall("d:outputEntry", dmn)):
            if index >= len(output_names):
                break
            output = output_names[index]
            text = entry.findtext("d:text", default="", namespaces=dmn)
            ok, value = literal_value(text)
            allowed = known.get(output)
            if not ok:
                errors.add(
                    "outputs",
                    _("输出“%(output)s”的取值必须是常量：%(text)s")
                    % {"output": output, "text": text.strip()[:80]},
                    element=entry.get("id") or rule.get("id") or "",
                    line=entry.sourceline,
                )
            elif allowed is not None and value not in allowed:
                errors.add(
                    "outputs",
                    _("输出“%(output)s”的取值“%(value)s”平台不认识（可用：%(known)s）")
                    % {"output": output, "value": value, "known": "、".join(sorted(allowed))},
                    element=entry.get("id") or rule.get("id") or "",
                    line=entry.sourceline,
                )


# --- the service --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validated:
    """A candidate that passed: its report and (BPMN) its serialized spec."""

    report: dict[str, Any]
    spec: dict[str, Any]


def _report(errors: _Errors, kind: str) -> dict[str, Any]:
    skip = {"outputs"} if kind == DefinitionKind.BPMN else {"lanes", "timers", "scripts"}
    return {
        "ok": not errors.items,
        "checks": [
            {"rule": rule, "ok": rule not in errors.failed} for rule in RULES if rule not in skip
        ],
        "errors": errors.items,
    }


def _field_errors(errors: _Errors) -> list[FieldError]:
    found = []
    for item in errors.items:
        where = item["element"] or "source"
        message = item["message"]
        if item["line"]:
            message = _("第%(line)s行：%(message)s") % {"line": item["line"], "message": message}
        found.append(FieldError(where, message))
    return found


def definition_validate(
    *,
    name: str,
    kind: str,
    source: bytes,
    vocabulary: Vocabulary,
    published_source: str = "",
) -> Validated:
    """Check a candidate version; raise ValidationFailed naming each element that fails."""
    errors = _Errors()
    root = _parse(source, errors)
    if root is not None:
        _schema(root, kind, errors)
        if kind == DefinitionKind.BPMN:
            _check_bpmn(root, name, vocabulary, published_scripts(published_source), errors)
        else:
            _check_dmn(root, name, vocabulary, errors)
    spec: dict[str, Any] = {}
    if not errors.items:
        try:
            if kind == DefinitionKind.BPMN:
                spec = engine.bpmn_spec(name=name, source=source)
            else:
                engine.dmn_parse(name=name, source=source)
        except ValidationFailed as exc:
            errors.add("engine", str(exc.detail))
    if errors.items:
        raise ValidationFailed(
            _("新版本未通过校验：%(count)s处问题") % {"count": len(errors.items)},
            errors=_field_errors(errors),
        )
    return Validated(report=_report(errors, kind), spec=spec)


def rule_labels() -> dict[str, str]:
    """The label of each rule code, in the active language."""
    return {code: str(label) for code, label in RULES.items()}
