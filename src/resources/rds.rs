//! Amazon RDS (Aurora PostgreSQL): clusters, their instances, subnet and parameter groups, and the global
//! database that carries the migration cluster into secondary regions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::bounds::{Allowed, checked_option};
use crate::resources::iam::RoleArn;
use crate::resources::kms::KeyArn;
use crate::{optional_properties, physical_name, resource_type};

/// `AWS::RDS::DBSubnetGroup`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DbSubnetGroup {
    #[serde(rename = "DBSubnetGroupDescription")]
    description: String,
    subnet_ids: Vec<Expr>,
    #[serde(rename = "DBSubnetGroupName", skip_serializing_if = "Option::is_none")]
    name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl DbSubnetGroup {
    pub fn new(description: impl Into<String>, subnet_ids: Vec<Expr>) -> Self {
        DbSubnetGroup {
            description: description.into(),
            subnet_ids,
            name: None,
            tags: None,
        }
    }
}

resource_type!(DbSubnetGroup, "AWS::RDS::DBSubnetGroup", tags: list, attributes {
    ref: subnet_group_name,
});

/// `AWS::RDS::DBClusterParameterGroup`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DbClusterParameterGroup {
    description: String,
    family: String,
    parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl DbClusterParameterGroup {
    pub fn new(
        description: impl Into<String>,
        family: impl Into<String>,
        parameters: BTreeMap<String, String>,
    ) -> Self {
        DbClusterParameterGroup {
            description: description.into(),
            family: family.into(),
            parameters,
            tags: None,
        }
    }
}

resource_type!(DbClusterParameterGroup, "AWS::RDS::DBClusterParameterGroup", tags: list, attributes {
    ref: parameter_group_name,
});

/// Aurora Serverless v2 capacity in Aurora capacity units.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ServerlessV2ScalingConfiguration {
    pub min_capacity: f64,
    pub max_capacity: f64,
}

/// `AWS::RDS::DBCluster`, Aurora PostgreSQL, always encrypted with a customer-managed key.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DbCluster {
    engine: String,
    engine_version: String,
    storage_encrypted: bool,
    kms_key_id: KeyArn,
    #[serde(rename = "DBSubnetGroupName")]
    db_subnet_group_name: Expr,
    vpc_security_group_ids: Vec<Expr>,
    #[serde(
        rename = "DBClusterIdentifier",
        skip_serializing_if = "Option::is_none"
    )]
    db_cluster_identifier: Option<String>,
    #[serde(
        rename = "DBClusterParameterGroupName",
        skip_serializing_if = "Option::is_none"
    )]
    db_cluster_parameter_group_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    master_username: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    master_user_password: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    global_cluster_identifier: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup_retention_period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_backup_window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_maintenance_window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_protection: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    enable_cloudwatch_logs_exports: Vec<String>,
    #[serde(
        rename = "EnableIAMDatabaseAuthentication",
        skip_serializing_if = "Option::is_none"
    )]
    enable_iam_database_authentication: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copy_tags_to_snapshot: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serverless_v2_scaling_configuration: Option<ServerlessV2ScalingConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl DbCluster {
    /// An encrypted Aurora PostgreSQL cluster. Credentials are set with [`DbCluster::master_credentials`] on a
    /// primary; a secondary member of a global database inherits them and must not set any.
    pub fn aurora_postgresql(
        engine_version: impl Into<String>,
        kms_key_id: impl Into<KeyArn>,
        db_subnet_group_name: Expr,
        vpc_security_group_ids: Vec<Expr>,
    ) -> Self {
        DbCluster {
            engine: "aurora-postgresql".into(),
            engine_version: engine_version.into(),
            storage_encrypted: true,
            kms_key_id: kms_key_id.into(),
            db_subnet_group_name,
            vpc_security_group_ids,
            db_cluster_identifier: None,
            db_cluster_parameter_group_name: None,
            database_name: None,
            master_username: None,
            master_user_password: None,
            global_cluster_identifier: None,
            source_region: None,
            port: None,
            backup_retention_period: None,
            preferred_backup_window: None,
            preferred_maintenance_window: None,
            deletion_protection: None,
            enable_cloudwatch_logs_exports: Vec::new(),
            enable_iam_database_authentication: None,
            copy_tags_to_snapshot: None,
            serverless_v2_scaling_configuration: None,
            tags: None,
        }
    }

    /// Username and password, given as dynamic references to a secret so neither appears in the template.
    pub fn master_credentials(mut self, username: Expr, password: Expr) -> Self {
        self.master_username = Some(username);
        self.master_user_password = Some(password);
        self
    }

    /// Joins a global database as a secondary member replicating from `source_region`.
    pub fn secondary_of(
        mut self,
        global_cluster_identifier: Expr,
        source_region: impl Into<String>,
    ) -> Self {
        self.global_cluster_identifier = Some(global_cluster_identifier);
        self.source_region = Some(source_region.into());
        self
    }

    pub fn log_exports(mut self, logs: &[&str]) -> Self {
        self.enable_cloudwatch_logs_exports = logs.iter().map(|l| l.to_string()).collect();
        self
    }

    optional_properties! {
        db_cluster_identifier: String,
        db_cluster_parameter_group_name: Expr,
        database_name: String,
        port: u16,
        backup_retention_period: u32,
        preferred_backup_window: String,
        preferred_maintenance_window: String,
        deletion_protection: bool,
        enable_iam_database_authentication: bool,
        copy_tags_to_snapshot: bool,
        serverless_v2_scaling_configuration: ServerlessV2ScalingConfiguration,
    }
}

physical_name!(
    DbCluster,
    db_cluster_identifier,
    "DBClusterIdentifier",
    |name| Some(name.to_string())
);

resource_type!(DbCluster, "AWS::RDS::DBCluster", tags: list, attributes {
    ref: cluster_identifier,
    arn => "DBClusterArn",
    resource_id => "DBClusterResourceId",
    endpoint_address => "Endpoint.Address",
    endpoint_port => "Endpoint.Port",
    reader_endpoint_address => "ReadEndpoint.Address",
});

/// `AWS::RDS::DBInstance` as a member of an Aurora cluster: storage, encryption, credentials and log exports
/// come from the cluster.
fn monitoring_interval<S: serde::Serializer>(
    seconds: &Option<u32>,
    s: S,
) -> Result<S::Ok, S::Error> {
    checked_option(
        "MonitoringInterval",
        Allowed::OneOf(&[0, 1, 5, 10, 15, 30, 60]),
        seconds,
        s,
    )
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DbInstance {
    engine: String,
    #[serde(rename = "DBClusterIdentifier")]
    db_cluster_identifier: Expr,
    #[serde(rename = "DBInstanceClass")]
    db_instance_class: String,
    publicly_accessible: bool,
    auto_minor_version_upgrade: bool,
    #[serde(
        rename = "DBInstanceIdentifier",
        skip_serializing_if = "Option::is_none"
    )]
    db_instance_identifier: Option<String>,
    #[serde(
        rename = "CACertificateIdentifier",
        skip_serializing_if = "Option::is_none"
    )]
    ca_certificate_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_tier: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_performance_insights: Option<bool>,
    #[serde(
        rename = "PerformanceInsightsKMSKeyId",
        skip_serializing_if = "Option::is_none"
    )]
    performance_insights_kms_key_id: Option<KeyArn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    performance_insights_retention_period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "monitoring_interval")]
    monitoring_interval: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monitoring_role_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl DbInstance {
    /// A private instance of an Aurora PostgreSQL cluster that takes minor-version security patches.
    pub fn aurora_postgresql_member(
        db_cluster_identifier: Expr,
        db_instance_class: impl Into<String>,
    ) -> Self {
        DbInstance {
            engine: "aurora-postgresql".into(),
            db_cluster_identifier,
            db_instance_class: db_instance_class.into(),
            publicly_accessible: false,
            auto_minor_version_upgrade: true,
            db_instance_identifier: None,
            ca_certificate_identifier: None,
            promotion_tier: None,
            enable_performance_insights: None,
            performance_insights_kms_key_id: None,
            performance_insights_retention_period: None,
            monitoring_interval: None,
            monitoring_role_arn: None,
            tags: None,
        }
    }

    /// Performance Insights, encrypted with the given key (its data includes SQL text).
    pub fn performance_insights(
        mut self,
        kms_key_arn: impl Into<KeyArn>,
        retention_days: u32,
    ) -> Self {
        self.enable_performance_insights = Some(true);
        self.performance_insights_kms_key_id = Some(kms_key_arn.into());
        self.performance_insights_retention_period = Some(retention_days);
        self
    }

    /// Enhanced monitoring every `interval_seconds` (1, 5, 10, 15, 30 or 60) through `role_arn`.
    pub fn enhanced_monitoring(
        mut self,
        interval_seconds: u32,
        role_arn: impl Into<RoleArn>,
    ) -> Self {
        self.monitoring_interval = Some(interval_seconds);
        self.monitoring_role_arn = Some(role_arn.into().into_expr());
        self
    }

    optional_properties! {
        db_instance_identifier: String,
        ca_certificate_identifier: String,
        promotion_tier: u32,
    }
}

resource_type!(DbInstance, "AWS::RDS::DBInstance", tags: list, attributes {
    ref: instance_identifier,
    endpoint_address => "Endpoint.Address",
});

/// `AWS::RDS::GlobalCluster` created from an existing primary cluster. Engine, version and encryption come from
/// that cluster; CloudFormation's schema forbids setting them as well.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalCluster {
    global_cluster_identifier: String,
    #[serde(rename = "SourceDBClusterIdentifier")]
    source_db_cluster_identifier: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_protection: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl GlobalCluster {
    pub fn from_primary(
        global_cluster_identifier: impl Into<String>,
        source_cluster_arn: Expr,
    ) -> Self {
        GlobalCluster {
            global_cluster_identifier: global_cluster_identifier.into(),
            source_db_cluster_identifier: source_cluster_arn,
            deletion_protection: None,
            tags: None,
        }
    }

    optional_properties! {
        deletion_protection: bool,
    }
}

resource_type!(GlobalCluster, "AWS::RDS::GlobalCluster", tags: list, attributes {
    ref: global_cluster_identifier,
});
