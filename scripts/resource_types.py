"""Writes src/resources/generated/: the CloudFormation resource types migen emits, from the resource schemas of the
cfn-lint that scripts/tools pins, as goformation writes Go's. Each property is written once, here, from the schema:
its type, whether CloudFormation requires it, its documentation. src/resources/types.toml lists the types and says
only what a schema cannot: what `Ref` returns (the handle's accessor), the properties migen requires beyond
CloudFormation (a topic's key: PCI DSS wants every byte encrypted), the property that holds the physical name, and
the typed values of properties whose schema says only `object` (an IAM policy document).

    scripts/resource-types            rewrite src/resources/generated/
    scripts/resource-types --check    exit 1 if src/resources/generated/ is not what the schemas give
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cfnlint  # type: ignore[import-untyped]
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped]
from cfnlint.version import __version__ as CFN_LINT_VERSION  # type: ignore[import-untyped]

CONFIG = Path("src/resources/types.toml")
OUTPUT = Path("src/resources/generated")
SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
REGION = "ap-southeast-1"
KEYWORDS = {"type", "match", "ref", "mod", "self", "use", "in", "fn", "impl", "loop", "move", "static", "struct"}
# Names a handle already has (src/cfn/resource.rs); an attribute of the same name keeps CloudFormation's spelling
# with an `_attribute` suffix.
HANDLE_METHODS = {"logical_id", "attribute", "name", "handle", "get_att", "r#ref"}
WIDTH = 116

Json = dict[str, Any]


def snake(name: str) -> str:
    """`DBClusterIdentifier` -> `db_cluster_identifier`, `KMSMasterKeyID` -> `kms_master_key_id`."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace(".", "_").replace("-", "_").lower()
    return f"r#{s}" if s in KEYWORDS else s


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]", name) if part)


def doc(text: str | None, indent: str, fallback: str) -> list[str]:
    """The schema's description as rustdoc: its first paragraph, wrapped, with nothing rustdoc would read as code
    to compile (an indented block, a fence) or as HTML."""
    text = (text or "").strip() or fallback
    first = text.split("\n")[0].strip() or fallback
    first = first.replace("```", "`").replace("<", "&lt;").replace(">", "&gt;")
    first = re.sub(r"(?<![(<])(https?://[^\s)]+)", r"<\1>", first)
    lines = textwrap.wrap(first, WIDTH - len(indent) - 4, break_long_words=False, break_on_hyphens=False)
    return [f"{indent}/// {line}" for line in lines]


@dataclass
class Prop:
    name: str
    rust: str
    required: bool
    description: str | None
    allowed: str | None = None
    fixed: str | None = None


@dataclass
class Struct:
    name: str
    description: str | None
    props: list[Prop]


@dataclass
class TypeSpec:
    type_name: str
    struct: str
    ref: str | None
    require: list[str]
    physical_name: str | None
    overrides: dict[str, str]
    extra_attributes: list[str]
    checks: dict[str, str]
    omit: list[str]
    fixed: dict[str, str] = field(default_factory=dict)
    # A property's values, each with its doc or not; and the enum's name where the property's is not the values'.
    values: dict[str, list[str] | dict[str, str]] = field(default_factory=dict)
    enum_names: dict[str, str] = field(default_factory=dict)
    nested: list[Struct] = field(default_factory=list)


class Mapper:
    """Maps one resource schema's property schemas to Rust types, collecting the nested structs it needs."""

    def __init__(self, spec: TypeSpec, schema: Json, formats: dict[str, str], module: str) -> None:
        self.spec = spec
        self.schema = schema
        self.formats = formats
        self.module = module
        self.nested: dict[str, Struct] = {}
        self.enums: dict[str, list[str]] = {}
        # How each enum of types.toml's `values` relates to the schema: "fewer" than the schema's enum allows (a
        # restriction of migen's), or "untyped" where the schema takes any string; absent for the schema's values.
        self.kinds: dict[str, str] = {}
        self.value_docs: dict[str, dict[str, str]] = {}
        # The property each enum of `values` was first made for, which its doc names.
        self.enum_paths: dict[str, str] = {}
        # The paths of types.toml's entries that named a property, so a misspelt one is refused rather than
        # ignored: `omit`, `values`, `enums`, `properties`, `checks` and `fixed`.
        self.used: set[str] = set()
        self.pending: list[tuple[str, Json]] = []

    def definition(self, ref: str) -> tuple[str, Json]:
        name = ref.split("/")[-1]
        return name, self.schema["definitions"][name]

    def slot(self, node: Json) -> str | None:
        branches = [node, *node.get("anyOf", []), *node.get("oneOf", [])]
        for branch in branches:
            fmt = branch.get("format")
            if isinstance(fmt, str) and fmt in self.formats:
                return self.formats[fmt]
        return None

    def rust(self, node: Json, path: str, hint: str) -> str:
        if path in self.spec.overrides:
            self.used.add(path)
            return self.spec.overrides[path]
        if path in self.spec.values or path in self.spec.enum_names:
            return self.allowed_values(node, path, hint)
        if "$ref" in node:
            name, target = self.definition(node["$ref"])
            if "Tag" in name and is_tag(target):
                return "crate::cfn::Tag"
            if is_struct(target):
                return self.struct(name, target)
            return self.rust(target, path, name)
        slot = self.slot(node)
        if slot:
            return slot
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = set(kind)
            if kinds <= {"string", "integer", "number", "boolean"} and "string" in kinds:
                return "crate::cfn::Expr"
            return "serde_json::Value"
        if kind == "string" and isinstance(node.get("enum"), list) and node["enum"]:
            return self.enum(pascal(hint), node["enum"], pascal(path.split("/")[0]))
        if kind == "string":
            return "crate::cfn::Expr"
        if kind == "integer":
            return "i64"
        if kind == "number":
            return "f64"
        if kind == "boolean":
            return "bool"
        if kind == "array":
            items = node.get("items", {})
            return f"Vec<{self.rust(items, path + '/*', hint)}>"
        if kind == "object" or kind is None:
            if is_struct(node):
                return self.struct(pascal(hint), node)
            values = node.get("additionalProperties") or next(iter(node.get("patternProperties", {}).values()), None)
            if isinstance(values, dict) and values.get("type") in ("string", "integer", "number", "boolean"):
                return f"std::collections::BTreeMap<String, {self.rust(values, path + '/*', hint)}>"
            if isinstance(values, dict) and "string" in (values.get("type") or []):
                return "std::collections::BTreeMap<String, crate::cfn::Expr>"
            branches = node.get("anyOf") or node.get("oneOf")
            if branches and all(b.get("type") == "string" or "format" in b for b in branches):
                return "crate::cfn::Expr"
            return "serde_json::Value"
        return "serde_json::Value"

    def allowed_values(self, node: Json, path: str, hint: str) -> str:
        """The enum of types.toml's `values` for `path`, or of the values of the enum `enums` names for it. Values
        the schema's own enum lacks are refused: CloudFormation would refuse them at deploy."""
        self.used.add(path)
        named = self.spec.enum_names.get(path)
        allows = self.spec.values.get(path) or self.values_named(named or "", path)
        if "$ref" in node:
            node = self.definition(node["$ref"])[1]
        schema_values = node.get("enum")
        if schema_values is not None and set(allows) - set(schema_values):
            extra = sorted(set(allows) - set(schema_values))
            sys.exit(
                f"src/resources/types.toml: {self.spec.type_name} allows {extra} for {path}, "
                "which CloudFormation's schema does not"
            )
        if named:
            if named in self.nested or sorted(self.enums.get(named, allows)) != sorted(allows):
                sys.exit(
                    f"src/resources/types.toml: {self.spec.type_name} names the enum of {path} {named}, which is taken"
                )
            self.enums[named] = list(allows)
            name = named
        else:
            name = self.enum(pascal(hint), list(allows), pascal(path.split("/")[0])).rsplit("::", 1)[1]
        self.enum_paths.setdefault(name, path)
        if schema_values is None:
            self.kinds[name] = "untyped"
        elif sorted(schema_values) != sorted(allows):
            self.kinds[name] = "fewer"
        if isinstance(allows, dict):
            self.value_docs[name] = allows
        return f"{self.module}::{name}"

    def values_named(self, name: str, path: str) -> list[str] | dict[str, str]:
        """The values of the enum `name` that `enums` gives `path`, listed in `values` under another property of
        the same type whose enum has that name (as an integration's method is a method's)."""
        for other, values in self.spec.values.items():
            own = pascal([part for part in other.split("/") if part != "*"][-1])
            if self.spec.enum_names.get(other, own) == name:
                return values
        sys.exit(
            f"src/resources/types.toml: {self.spec.type_name} names the enum of {path} {name}, but no property of "
            f"{self.spec.type_name} with values has an enum of that name"
        )

    def enum(self, name: str, values: list[str], owner: str) -> str:
        """A string property CloudFormation (or types.toml's `values`) allows only some values of: an enum, so
        another value does not compile. Named for the property unless types.toml's `enums` names it (see
        `allowed_values`); properties of that name with the same values (in any order) share it.
        One with other values is `…Value`, and when that is taken by yet other values (an S3 lifecycle rule's
        `Status` is not a versioning configuration's) it is named for its owner too."""
        named = [path for path, enum in self.spec.enum_names.items() if enum == name]
        if named and name in self.enums and sorted(self.enums[name]) != sorted(values):
            sys.exit(
                f"src/resources/types.toml: {self.spec.type_name} names the enum of {named[0]} {name}, which is taken"
            )
        for candidate in (name, f"{name}Value", f"{owner}{name}"):
            if candidate in self.nested:
                continue
            if candidate not in self.enums:
                self.enums[candidate] = values
                return f"{self.module}::{candidate}"
            if sorted(self.enums[candidate]) == sorted(values):
                return f"{self.module}::{candidate}"
        sys.exit(f"scripts/resource-types: no free name for the enum of {owner}/{name} in {self.spec.type_name}")

    def struct(self, name: str, node: Json) -> str:
        if name == self.spec.struct:
            name = f"{name}Properties"
        if name in self.enums:
            sys.exit(f"src/resources/types.toml: {self.spec.type_name} names an enum {name}, as a property type is")
        if name not in self.nested:
            self.nested[name] = Struct(name, node.get("description"), [])
            self.nested[name].props = self.props(node, name)
        return f"{self.module}::{name}"

    def props(self, node: Json, owner: str) -> list[Prop]:
        required = set(node.get("required", []))
        read_only: set[str] = set()
        if owner == self.spec.struct:
            required |= set(self.spec.require)
            read_only = {p.removeprefix("/properties/") for p in self.schema.get("readOnlyProperties", [])}
            read_only |= {name for name in self.spec.omit if "/" not in name}
        # A nested property is omitted by its `Owner/Property` path.
        read_only |= {path.split("/", 1)[1] for path in self.spec.omit if path.startswith(f"{owner}/")}
        out = []
        for name, sub in node.get("properties", {}).items():
            path = f"{owner}/{name}"
            if name in read_only:
                self.used |= {path} | ({name} if owner == self.spec.struct else set())
                continue
            rust = self.rust(sub, path, name)
            self.used |= {path} & (set(self.spec.checks) | set(self.spec.fixed))
            bound = self.spec.checks.get(path) or allowed(sub, rust)
            fixed = self.spec.fixed.get(path)
            # A fixed property is always present: it leads with the required ones, but is no constructor argument.
            out.append(Prop(name, rust, name in required or fixed is not None, sub.get("description"), bound, fixed))
        # Required first, each group in the schema's order: what a resource must have leads its properties.
        return [p for p in out if p.required] + [p for p in out if not p.required]


def allowed(node: Json, rust: str) -> str | None:
    """The `bounds::Allowed` an integer property's schema documents, checked as the resource is serialized."""
    if rust != "i64":
        return None
    if "enum" in node:
        return f"OneOf(&{json.dumps(node['enum'])})".replace("[", "[").replace('"', "")
    if "minimum" in node or "maximum" in node:
        return f"Range({node.get('minimum', 'i64::MIN')}..={node.get('maximum', 'i64::MAX')})"
    return None


def variant(value: str) -> str:
    """`x86_64` -> `X86_64`, `JSON` -> `Json`, `aws:kms` -> `AwsKms`."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]", value) if p]
    out = ""
    for part in parts:
        part = part.capitalize() if part.isupper() or part.islower() else part[:1].upper() + part[1:]
        out += f"_{part}" if out and out[-1].isdigit() and part[0].isdigit() else part
    return out if out[:1].isalpha() else f"V{out}"


def variants(name: str, values: list[str]) -> list[str]:
    """Each value's variant. Values that differ only in case (S3 takes both `GLACIER` and `Glacier`) keep their
    own spelling, so each has a variant."""
    names = [variant(v) for v in values]
    out: list[str] = []
    for value, v in zip(values, names, strict=True):
        if names.count(v) > 1:
            v = re.sub(r"[^A-Za-z0-9]", "", value)
            v = v if v[:1].isalpha() else f"V{v}"
        out.append(v)
    if len(set(out)) != len(out):
        sys.exit(f"scripts/resource-types: the values of {name} give the same variant twice: {values}")
    return out


def write_enum(w: Any, name: str, values: list[str], indent: str, mapper: Mapper) -> None:
    kind, path, docs = mapper.kinds.get(name), mapper.enum_paths.get(name), mapper.value_docs.get(name)
    if kind == "fewer":
        text = f"The values migen allows for `{path}`, fewer than CloudFormation's schema does"
        text += " (src/resources/types.toml says why)."
    elif kind == "untyped":
        text = f"The values migen takes for `{path}`, where CloudFormation's schema takes any string"
        text += " (src/resources/types.toml lists them and says why)."
    else:
        text = "The values CloudFormation allows for this property."
    for line in doc(text, indent, ""):
        w(line)
    w(f"{indent}#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]")
    w(f"{indent}pub enum {name} {{")
    for value, v in zip(values, variants(name, values), strict=True):
        if docs and docs[value]:
            for line in doc(f"`{value}`: {docs[value]}", f"{indent}    ", ""):
                w(line)
        else:
            w(f"{indent}    /// `{value}`.")
        w(f'{indent}    #[serde(rename = "{value}")]')
        w(f"{indent}    {v},")
    w(f"{indent}}}")
    w("")


def is_tag(node: Json) -> bool:
    return set(node.get("properties", {})) == {"Key", "Value"}


def is_struct(node: Json) -> bool:
    return bool(node.get("properties")) and node.get("type", "object") == "object"


def field_type(p: Prop, tags: str | None) -> str:
    if p.name == "Tags" and tags:
        return "Vec<crate::cfn::Tag>" if tags == "list" else "std::collections::BTreeMap<String, String>"
    return p.rust


def write_struct(w: Any, s: Struct, indent: str, tags: str | None = None, head: list[str] | None = None) -> None:
    for line in head if head is not None else doc(s.description, indent, f"The `{s.name}` property type."):
        w(line)
    w(f"{indent}#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]")
    w(f"{indent}pub struct {s.name} {{")
    for p in s.props:
        rust = field_type(p, tags)
        attrs = [f'rename = "{p.name}"']
        if not p.required:
            attrs.append('skip_serializing_if = "Option::is_none"')
            rust = f"Option<{rust}>"
        if p.allowed:
            attrs.append(f'serialize_with = "{checker(s, p)}"')
        w(f"{indent}    #[serde({', '.join(attrs)})]")
        w(f"{indent}    pub(crate) {snake(p.name)}: {rust},")
    w(f"{indent}}}")
    w("")
    w(f"{indent}impl {s.name} {{")
    required = [p for p in s.props if p.required and p.fixed is None]
    fixed = [p for p in s.props if p.fixed is not None]
    if required:
        w(f"{indent}    /// A `{s.name}` with the properties CloudFormation (or migen's policy) requires:")
        w(f"{indent}    /// {', '.join('`' + p.name + '`' for p in required)}.")
    else:
        w(f"{indent}    /// A `{s.name}` with none of its optional properties set.")
    if fixed:
        w(f"{indent}    ///")
        said = ", ".join(f"`{p.name}` is `{p.fixed}`" for p in fixed)
        w(f"{indent}    /// Always, with no setter to undo it: {said} (src/resources/types.toml says why).")
    args = ", ".join(f"{snake(p.name)}: impl Into<{field_type(p, tags)}>" for p in required)
    w(f"{indent}    pub fn new({args}) -> Self {{")
    w(f"{indent}        {s.name} {{")
    for p in s.props:
        value = p.fixed if p.fixed is not None else f"{snake(p.name)}.into()" if p.required else "None"
        w(f"{indent}            {snake(p.name)}: {value},")
    w(f"{indent}        }}")
    w(f"{indent}    }}")
    for p in s.props:
        if (p.name == "Tags" and tags) or p.fixed is not None:
            continue
        rust = field_type(p, tags)
        w("")
        for line in doc(p.description, indent + "    ", f"Sets `{p.name}`."):
            w(line)
        w(f"{indent}    pub fn {snake(p.name)}(mut self, value: impl Into<{rust}>) -> Self {{")
        target = "value.into()" if p.required else "Some(value.into())"
        w(f"{indent}        self.{snake(p.name)} = {target};")
        w(f"{indent}        self")
        w(f"{indent}    }}")
    w(f"{indent}}}")
    for p in s.props:
        if not p.allowed:
            continue
        value, call = ("Option<i64>", "checked_option") if not p.required else ("i64", "checked")
        arg = "value" if not p.required else "*value"
        w("")
        w(f"{indent}fn {checker(s, p)}<S: serde::Serializer>(value: &{value}, s: S) -> Result<S::Ok, S::Error> {{")
        w(f"{indent}    use crate::resources::bounds::{{{call}, Allowed}};")
        w(f'{indent}    {call}("{p.name}", Allowed::{p.allowed}, {arg}, s)')
        w(f"{indent}}}")


def checker(s: Struct, p: Prop) -> str:
    return f"check_{snake(s.name).removeprefix('r#')}_{snake(p.name).removeprefix('r#')}"


def resource_schema(type_name: str) -> Json:
    providers = json.loads((SCHEMAS / "providers" / f"{REGION}.json").read_text())
    schema: Json = json.loads((SCHEMAS / "resources" / f"{providers[type_name]}.json").read_text())
    return schema


def tag_form(schema: Json) -> str | None:
    tagging = schema.get("tagging", {})
    if not tagging.get("taggable", True) or "Tags" not in schema.get("properties", {}):
        return None
    tags = schema["properties"]["Tags"]
    return "list" if tags.get("type") == "array" or "items" in tags else "map"


def generate_service(module: str, specs: list[TypeSpec], formats: dict[str, str], slots: list[Slot]) -> str:
    out: list[str] = []
    w = out.append
    w(f"//! Generated by `scripts/resource-types` from the resource schemas of cfn-lint {CFN_LINT_VERSION} and")
    w("//! src/resources/types.toml: do not edit. tests/aws_data.rs fails while this file and a fresh generation")
    w("//! differ.")
    w("")
    w("#![allow(clippy::all)]")
    w("")
    for spec in specs:
        schema = resource_schema(spec.type_name)
        sub = snake(spec.struct).removeprefix("r#")
        mapper = Mapper(spec, schema, formats, sub)
        tags = tag_form(schema)
        top = Struct(spec.struct, None, mapper.props(schema, spec.struct))
        for key in ("omit", "values", "enums", "properties", "checks", "fixed"):
            named = set(getattr(spec, CONFIG_FIELDS[key]))
            for path in sorted(named - mapper.used):
                sys.exit(
                    f"src/resources/types.toml: {spec.type_name}'s {key} names {path!r}, which is no property of it"
                )
        for name in sorted(set(spec.require) - {p.name for p in top.props}):
            sys.exit(f"src/resources/types.toml: {spec.type_name} requires {name!r}, which is no property of it")
        head = [f"/// `{spec.type_name}`.", "///", *doc(schema.get("description"), "", f"`{spec.type_name}`.")]
        atts = attributes(spec, schema)
        if spec.ref:
            accessors = ", ".join(
                f"[`{name}()`](crate::cfn::Handle#method.{name.removeprefix('r#')})"
                for name in [spec.ref] + [a for a, _ in atts]
            )
            head += ["///", f"/// Its [`Handle`](crate::cfn::Handle) gives {accessors}."]
        write_struct(w, top, "", tags, head)
        w("")
        if mapper.nested or mapper.enums:
            w(f"/// The property types of [`{spec.struct}`].")
            w(f"pub mod {sub} {{")
            if any(f"{sub}::" in p.rust for n in mapper.nested.values() for p in n.props):
                w(f"    use super::{sub};")
                w("")
            for s in sorted(mapper.nested.values(), key=lambda s: s.name):
                write_struct(w, s, "    ")
                w("")
            for name, values in sorted(mapper.enums.items()):
                write_enum(w, name, values, "    ", mapper)
            w("}")
            w("")
        opening = f'crate::resource_type!({spec.struct}, "{spec.type_name}", tags: {tags or "none"}'
        if not spec.ref:
            w(opening + ");")
        else:
            w(opening + ", attributes {")
            ref_doc = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, spec.type_name).ref
            w("    ref:")
            for line in doc(ref_doc.get("description"), "    ", "What `Ref` returns."):
                w(line)
            w(f"    {spec.ref},")
            for name, att in atts:
                w(f"    /// `Fn::GetAtt` `{att}`.")
                w(f'    {name} => "{att}",')
            w("});")
        w("")
        if spec.physical_name:
            prop = next(p for p in top.props if p.name == spec.physical_name)
            value = "crate::cfn::Expr::lit(name)"
            if not prop.required:
                value = f"Some({value})"
            w(f'crate::physical_name!({spec.struct}, {snake(prop.name)}, "{prop.name}", |name| {value});')
            w("")
        for slot in slots:
            if slot.type_name != spec.type_name:
                continue
            handle = f"crate::cfn::Handle<{spec.struct}>"
            w(f"impl From<&{handle}> for crate::resources::slot::{slot.name} {{")
            w(f"    fn from(handle: &{handle}) -> Self {{")
            w(f"        crate::resources::slot::{slot.name}(handle.{slot.accessor}())")
            w("    }")
            w("}")
            w("")
    return "\n".join(out) + "\n"


def attributes(spec: TypeSpec, schema: Json) -> list[tuple[str, str]]:
    """What `Fn::GetAtt` can read: the read-only properties cfn-lint accepts as attributes, and those types.toml
    adds (CloudFormation lets a few writable properties be read back, a subnet's Availability Zone)."""
    if not spec.ref:
        return []
    valid = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, spec.type_name).get_atts
    read_only = {p.removeprefix("/properties/").replace("/", ".") for p in schema.get("readOnlyProperties", [])}
    for att in spec.extra_attributes:
        if att not in valid:
            sys.exit(f"src/resources/types.toml: {spec.type_name} has no attribute {att!r} in cfn-lint's schemas")
    out = []
    for att in valid:
        if att not in read_only and att not in spec.extra_attributes:
            continue
        name = snake(att)
        if name == spec.ref:
            continue
        if name in HANDLE_METHODS or name.startswith("r#"):
            name = f"{name.removeprefix('r#')}_attribute"
        out.append((name, att))
    return out


@dataclass
class Slot:
    name: str
    type_name: str
    accessor: str
    format: str


def load_config() -> tuple[dict[str, list[TypeSpec]], dict[str, str], list[Slot]]:
    config = tomllib.loads(CONFIG.read_text())
    formats: dict[str, str] = {}
    slots: list[Slot] = []
    for fmt, entry in config["formats"].items():
        formats[fmt] = f"crate::resources::slot::{entry['slot']}"
        slots.append(Slot(entry["slot"], entry["type"], entry["accessor"], fmt))
    by_module: dict[str, list[TypeSpec]] = {}
    for type_name, entry in config["types"].items():
        module = type_name.split("::")[1].lower()
        check_entry(type_name, entry)
        spec = TypeSpec(
            type_name=type_name,
            struct=entry["struct"],
            ref=entry.get("ref"),
            require=entry.get("require", []),
            physical_name=entry.get("physical_name"),
            overrides=entry.get("properties", {}),
            extra_attributes=entry.get("attributes", []),
            checks=entry.get("checks", {}),
            omit=entry.get("omit", []),
            fixed=entry.get("fixed", {}),
            values=entry.get("values", {}),
            enum_names=entry.get("enums", {}),
        )
        by_module.setdefault(module, []).append(spec)
    return by_module, formats, slots


# The keys of a types.toml entry, by the TypeSpec field each fills where the names differ.
CONFIG_FIELDS = {
    **{key: key for key in ("struct", "ref", "require", "physical_name", "checks", "omit", "fixed", "values")},
    "properties": "overrides",
    "attributes": "extra_attributes",
    "enums": "enum_names",
}


def check_entry(type_name: str, entry: Json) -> None:
    """Refuses what types.toml would otherwise let pass without a word: an unknown key, and a values table whose
    keys are not all values with a doc (a type's own key written after its values table lands in that table)."""
    for key in sorted(set(entry) - set(CONFIG_FIELDS)):
        sys.exit(f"src/resources/types.toml: {type_name} has the unknown key {key!r} (known: {sorted(CONFIG_FIELDS)})")
    for path, allows in entry.get("values", {}).items():
        if isinstance(allows, dict):
            for value, value_doc in allows.items():
                if value in CONFIG_FIELDS or not isinstance(value_doc, str):
                    sys.exit(
                        f"src/resources/types.toml: {type_name}'s values of {path} hold {value} = {value_doc!r}, "
                        "which is no value with its doc: a type's own keys go before its values tables"
                    )
        elif not all(isinstance(value, str) for value in allows):
            sys.exit(f"src/resources/types.toml: {type_name}'s values of {path} are not all strings: {allows!r}")


CATALOG_HEAD = """//! Generated by `scripts/resource-types` from the resource schemas of cfn-lint {version} and
//! src/resources/types.toml: do not edit. The one list of the resource types migen emits, with what their schemas
//! say beyond the properties: the catalogue CI compares with CloudFormation's schemas in every region, and the
//! create-only properties `migen diff` reports as replacements.

use schemars::Schema;

use crate::cfn::Resource;

/// One resource type migen can emit: its CloudFormation type name, whether it is tagged, the attributes
/// `Fn::GetAtt` can read, and the JSON Schema of every property its struct can serialize. CI compares this
/// catalogue with CloudFormation's own schemas.
pub struct CatalogEntry {{
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`, by which CI finds the type's schema in each region.
    pub type_name: &'static str,
    /// Whether migen sets `Tags` on the type; CI checks it against whether CloudFormation's schema has `Tags`.
    pub taggable: bool,
    /// The `Fn::GetAtt` attributes the type's handle has accessors for; each must be one CloudFormation declares.
    pub attributes: &'static [&'static str],
    /// Everything the struct can serialize, so a property CloudFormation does not know fails CI, not a deploy.
    pub schema: Schema,
}}

fn entry<R: Resource>() -> CatalogEntry {{
    CatalogEntry {{
        type_name: R::TYPE,
        taggable: R::taggable(),
        attributes: R::ATTRIBUTES,
        schema: schemars::schema_for!(R),
    }}
}}

/// Every resource type migen emits, sorted by type name.
pub fn catalog() -> Vec<CatalogEntry> {{
    vec![
{entries}    ]
}}

/// The properties whose change makes CloudFormation replace a resource of the type (`createOnlyProperties` of its
/// schema, as paths below `/properties/` joined with `/`); empty for a type migen does not emit.
pub fn create_only(type_name: &str) -> &'static [&'static str] {{
    CREATE_ONLY
        .binary_search_by(|(t, _)| (*t).cmp(type_name))
        .map(|i| CREATE_ONLY[i].1)
        .unwrap_or(&[])
}}

/// `(type, create-only property paths)`, sorted by type.
#[rustfmt::skip]
const CREATE_ONLY: &[(&str, &[&str])] = &[
{create_only}];
"""


def generate_catalog(by_module: dict[str, list[TypeSpec]]) -> str:
    specs = sorted(((spec, m) for m, specs in by_module.items() for spec in specs), key=lambda x: x[0].type_name)
    entries = "".join(f"        entry::<super::{m}::{spec.struct}>(),\n" for spec, m in specs)
    rows = []
    for spec, _ in specs:
        paths = sorted(
            p.removeprefix("/properties/") for p in resource_schema(spec.type_name).get("createOnlyProperties", [])
        )
        rows.append(f"    ({json.dumps(spec.type_name)}, &[{', '.join(json.dumps(p) for p in paths)}]),\n")
    return CATALOG_HEAD.format(version=CFN_LINT_VERSION, entries=entries, create_only="".join(rows))


def generate() -> dict[str, str]:
    by_module, formats, slots = load_config()
    files = {f"{m}.rs": generate_service(m, specs, formats, slots) for m, specs in sorted(by_module.items())}
    files["catalog.rs"] = generate_catalog(by_module)
    mods = "".join(f"pub mod {m};\n" for m in sorted([*by_module, "catalog"]))
    files["mod.rs"] = (
        "//! Generated by `scripts/resource-types`: do not edit. The resource types of every service module, each\n"
        "//! property written once from CloudFormation's schema; the service modules re-export them and add the\n"
        "//! constructors a schema cannot say.\n\n" + mods
    )
    return {name: rustfmt(text) for name, text in files.items()}


def rustfmt(text: str) -> str:
    result = subprocess.run(
        ["rustfmt", "--edition", "2024", "--emit", "stdout"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"scripts/resource-types: rustfmt failed:\n{result.stderr}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    files = generate()
    if args.check:
        stale = [n for n, text in files.items() if not (OUTPUT / n).exists() or (OUTPUT / n).read_text() != text]
        extra = [p.name for p in OUTPUT.glob("*.rs") if p.name not in files]
        for name in stale + extra:
            print(f"src/resources/generated/{name}: differs from a fresh generation", file=sys.stderr)
        return 1 if stale or extra else 0
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.rs"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (OUTPUT / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
