//! The look-ups in `tests/common` must be able to fail: a test that reaches into a document through them cannot
//! pass because a resource type, a key or an index is missing.

mod common;

use serde_json::{Value, json};

use common::{absent, array_at, at, object_at, optional_resources, resource, resources, str_at};

fn doc() -> Value {
    json!({
        "Description": "Payment migration (dev, ap-southeast-1, primary region)",
        "Resources": {
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "db",
                    "SecurityGroupEgress": [{"CidrIp": "10.0.0.0/16", "IpProtocol": "tcp"}],
                    "Parameters": {"rds.force_ssl": "1"}
                }
            },
            "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}
        }
    })
}

#[test]
fn lookups_find_what_is_there() {
    let doc = doc();
    let groups = resources(&doc, "AWS::EC2::SecurityGroup");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].0, "Group");
    assert!(optional_resources(&doc, "AWS::EC2::Route").is_empty());
    let group = resource(&doc, "Group");
    assert_eq!(
        str_at(group, "Properties.SecurityGroupEgress.0.CidrIp"),
        "10.0.0.0/16"
    );
    assert_eq!(array_at(group, "Properties.SecurityGroupEgress").len(), 1);
    assert_eq!(
        *at(group, ["Properties", "Parameters", "rds.force_ssl"]),
        "1"
    );
    assert_eq!(object_at(&doc, "Resources").len(), 2);
    absent(group, "Properties.SecurityGroupIngress");
}

#[test]
#[should_panic(
    expected = "no AWS::EC2::Route resource in the template `Payment migration (dev, ap-southeast-1, primary region)`"
)]
fn zero_resources_of_a_type_fail() {
    resources(&doc(), "AWS::EC2::Route");
}

#[test]
#[should_panic(expected = "no `Resources` under the root")]
fn a_document_without_resources_fails() {
    optional_resources(&json!({"Description": "empty"}), "AWS::EC2::Route");
}

#[test]
#[should_panic(
    expected = "`Properties.SecurityGroupEgres.0.CidrIp`: no `SecurityGroupEgres` under `Properties`, which is \
                an object with keys [\"GroupDescription\", \"SecurityGroupEgress\", \"Parameters\"]"
)]
fn a_missing_key_fails_naming_it_and_the_parents_keys() {
    at(
        resource(&doc(), "Group"),
        "Properties.SecurityGroupEgres.0.CidrIp",
    );
}

#[test]
#[should_panic(
    expected = "`Properties.SecurityGroupEgress.1.CidrIp`: no `1` under `Properties.SecurityGroupEgress`, which \
                is an array of 1 item(s)"
)]
fn an_index_out_of_range_fails() {
    at(
        resource(&doc(), "Group"),
        "Properties.SecurityGroupEgress.1.CidrIp",
    );
}

#[test]
#[should_panic(expected = "no `Missing` under `Resources`")]
fn a_missing_resource_fails() {
    resource(&doc(), "Missing");
}

#[test]
#[should_panic(
    expected = "`Properties.GroupDescription.Text`: no `Text` under `Properties.GroupDescription`, which is the scalar \"db\""
)]
fn a_step_into_a_scalar_fails() {
    at(
        resource(&doc(), "Group"),
        "Properties.GroupDescription.Text",
    );
}

#[test]
#[should_panic(expected = "`Properties.GroupDescription` is \"db\", not an array")]
fn a_value_of_the_wrong_kind_fails() {
    array_at(resource(&doc(), "Group"), "Properties.GroupDescription");
}

#[test]
#[should_panic(
    expected = "no `Properties` under the root, which is an object with keys [\"Type\"]"
)]
fn absent_fails_when_the_parent_is_missing() {
    absent(resource(&doc(), "Handle"), "Properties.Tags");
}

#[test]
#[should_panic(expected = "`Properties.GroupDescription` must be absent, but is \"db\"")]
fn absent_fails_when_the_key_is_present() {
    absent(resource(&doc(), "Group"), "Properties.GroupDescription");
}
