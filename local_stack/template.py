"""Read infra/template.yaml and resolve its intrinsic functions against provisioned resources.

The local stack provisions moto from the same declarations that CloudFormation deploys in AWS,
so the template stays the one source of truth for names, keys, indexes and wiring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"
LOCAL_ACCOUNT_ID = "123456789012"

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses something the local provisioner does not understand."""


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form tags (!Ref, !GetAtt, ...) into their long forms."""


def _construct_intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise TemplateError(f"unsupported YAML node after !{tag_suffix}")
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Load a CloudFormation YAML template into plain long-form dictionaries."""
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(loaded, dict):
        raise TemplateError(f"{path} is not a template")
    return loaded


def references(value: Any) -> Iterator[str]:
    """Logical ids that a property value refers to (Ref, GetAtt and Sub variables)."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        elif "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            for name in _SUB_VARIABLE.findall(text):
                yield name.split(".", 1)[0]
            if isinstance(value["Fn::Sub"], list):
                yield from references(value["Fn::Sub"][1])
        else:
            for item in value.values():
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


@dataclass
class ProvisionedResource:
    """What the provisioner learned about one created resource."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Resolver:
    """Evaluates intrinsic functions the way CloudFormation would for this stack."""

    stack_name: str
    region: str
    parameters: Mapping[str, str]
    conditions: Mapping[str, Any]
    resources: dict[str, ProvisionedResource] = field(default_factory=dict)

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }.get(name, "") or None

    def ref(self, name: str) -> str:
        if name.startswith("AWS::"):
            value = self.pseudo(name)
            if value is None:
                raise TemplateError(f"unsupported pseudo parameter {name}")
            return value
        if name in self.parameters:
            return str(self.parameters[name])
        if name in self.resources:
            return self.resources[name].ref
        raise TemplateError(f"reference to {name} before it exists")

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.resources[logical_id].attributes[attribute]
        except KeyError as error:
            raise TemplateError(f"unknown attribute {logical_id}.{attribute}") from error

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        """Replace every intrinsic function inside a value by its result."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            function = self._functions().get(key)
            if function is not None:
                return function(argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::GetAtt": lambda argument: self.get_att(argument[0], argument[1]),
            "Fn::Sub": self._sub,
            "Fn::Join": lambda argument: str(argument[0]).join(
                str(self.resolve(item)) for item in argument[1]),
            "Fn::Equals": lambda argument: self.resolve(argument[0]) == self.resolve(argument[1]),
            "Fn::Not": lambda argument: not self.resolve(argument[0]),
            "Fn::If": lambda argument: self.resolve(
                argument[1] if self.condition(argument[0]) else argument[2]),
            "Condition": self.condition,
        }

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {name: self.resolve(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, text)
