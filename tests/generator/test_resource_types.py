"""scripts/resource_types.py against the pinned cfn-lint schemas: what types.toml can say about a property (its
values with their docs, an enum's name, a nested omit) reaches the generated Rust, and what it gets wrong (a misspelt
path, a value CloudFormation refuses, a taken enum name, a key that landed in a values table) is refused with the
type and the path rather than ignored."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("resource_types", ROOT / "scripts" / "resource_types.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["resource_types"] = module
    spec.loader.exec_module(module)
    return module


generator = load_generator()


def render(type_name: str, struct: str, **entry: Any) -> str:
    """The generated Rust of one type from a types.toml entry of `entry`'s keys."""
    generator.check_entry(type_name, {"struct": struct, **entry})
    spec = generator.TypeSpec(
        type_name=type_name,
        struct=struct,
        ref=None,
        require=entry.get("require", []),
        physical_name=None,
        overrides=entry.get("properties", {}),
        extra_attributes=[],
        checks=entry.get("checks", {}),
        omit=entry.get("omit", []),
        fixed=entry.get("fixed", {}),
        values=entry.get("values", {}),
        enum_names=entry.get("enums", {}),
    )
    module = type_name.split("::")[1].lower()
    text: str = generator.generate_service(module, [spec], {}, [])
    return text


METHOD = "AWS::ApiGateway::Method"
HTTP_METHOD = {"GET": "", "OPTIONS": "a CORS preflight."}


def test_values_with_docs_and_a_named_enum_shared_by_two_properties() -> None:
    rust = render(
        METHOD,
        "Method",
        values={"Method/HttpMethod": HTTP_METHOD},
        enums={"Integration/IntegrationHttpMethod": "HttpMethod"},
    )
    assert "pub(crate) http_method: method::HttpMethod," in rust
    assert "pub(crate) integration_http_method: Option<method::HttpMethod>," in rust
    assert rust.count("pub enum HttpMethod {") == 1
    assert "/// `OPTIONS`: a CORS preflight." in rust
    assert "/// `GET`." in rust
    assert "where CloudFormation's schema takes any string" in rust


def test_the_schemas_own_values_are_documented_not_restricted_and_fewer_are_a_restriction() -> None:
    rust = render(
        "AWS::CloudWatch::Alarm",
        "Alarm",
        values={
            "Alarm/TreatMissingData": {"breaching": "b.", "ignore": "", "missing": "", "notBreaching": ""},
            "Alarm/ComparisonOperator": ["GreaterThanThreshold", "LessThanThreshold"],
        },
    )
    assert "/// `breaching`: b." in rust
    treat = rust.index("pub enum TreatMissingData")
    assert "The values CloudFormation allows for this property." in rust[treat - 200 : treat]
    comparison = rust.index("pub enum ComparisonOperator")
    assert "fewer than CloudFormation's schema does" in rust[comparison - 300 : comparison]
    assert "GreaterThanUpperThreshold" not in rust[comparison:]


def test_a_nested_omit_removes_the_setter_and_the_field() -> None:
    kept = render("AWS::DMS::Endpoint", "Endpoint")
    omitted = render("AWS::DMS::Endpoint", "Endpoint", omit=["MongoDbSettings/Password"])
    assert kept.count("pub fn password(") == omitted.count("pub fn password(") + 1


@pytest.mark.parametrize(
    ("entry", "refusal"),
    [
        ({"omit": ["MongoDbSettings/Pasword"]}, "omit names 'MongoDbSettings/Pasword', which is no property of it"),
        # A bare name omits a property of the type itself, not a nested one of that name.
        ({"omit": ["AsmPassword", "OracleSettings/AsmPassword"]}, "omit names 'AsmPassword'"),
        ({"values": {"Endpoint/SslMod": ["require"]}}, "values names 'Endpoint/SslMod'"),
        ({"enums": {"Endpoint/SslMode": "TlsMode"}}, "names the enum of Endpoint/SslMode TlsMode, but no property"),
        ({"checks": {"Endpoint/Prot": "Range(1..=2)"}}, "checks names 'Endpoint/Prot'"),
        ({"fixed": {"Endpoint/SslMod": "true"}}, "fixed names 'Endpoint/SslMod'"),
        ({"properties": {"Endpoint/Nothing": "bool"}}, "properties names 'Endpoint/Nothing'"),
        ({"require": ["Passwort"]}, "requires 'Passwort', which is no property of it"),
        ({"omitt": ["Password"]}, "has the unknown key 'omitt'"),
        # `omit` written after a values table lands in that table.
        ({"values": {"Endpoint/SslMode": {"require": "", "omit": ["Password"]}}}, "a type's own keys go before"),
        ({"values": {"Endpoint/SslMode": {"require": 1}}}, "which is no value with its doc"),
    ],
)
def test_what_types_toml_gets_wrong_is_refused(entry: dict[str, Any], refusal: str) -> None:
    with pytest.raises(SystemExit) as refused:
        render("AWS::DMS::Endpoint", "Endpoint", **entry)
    assert refusal in str(refused.value)
    assert "AWS::DMS::Endpoint" in str(refused.value)


def test_a_value_the_schema_refuses_is_refused() -> None:
    with pytest.raises(SystemExit, match=r"allows \['p99'\] for Alarm/Statistic"):
        render("AWS::CloudWatch::Alarm", "Alarm", values={"Alarm/Statistic": ["Average", "p99"]})


def test_an_enum_name_taken_by_other_values_or_a_property_type_is_refused() -> None:
    with pytest.raises(SystemExit, match="names the enum of Integration/IntegrationHttpMethod Type, which is taken"):
        render(
            METHOD,
            "Method",
            values={"Method/HttpMethod": HTTP_METHOD, "Integration/IntegrationHttpMethod": ["GET"]},
            enums={"Integration/IntegrationHttpMethod": "Type"},
        )
    with pytest.raises(SystemExit, match="Integration"):
        render(METHOD, "Method", values={"Method/HttpMethod": HTTP_METHOD}, enums={"Method/HttpMethod": "Integration"})
