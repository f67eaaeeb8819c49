//! AWS Database Migration Service: the replication instance, the PostgreSQL endpoints and the forward (full
//! load + CDC) and reverse (CDC) tasks.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::iam::RoleArn;
use crate::resources::kms::KeyArn;
use crate::{optional_properties, physical_name, resource_type};

/// `AWS::DMS::ReplicationSubnetGroup`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationSubnetGroup {
    replication_subnet_group_description: String,
    subnet_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_subnet_group_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl ReplicationSubnetGroup {
    /// A group of `subnet_ids`, which must span at least two Availability Zones. Creating it fails unless the
    /// account already has the IAM role `dms-vpc-role`.
    pub fn new(description: impl Into<String>, subnet_ids: Vec<Expr>) -> Self {
        ReplicationSubnetGroup {
            replication_subnet_group_description: description.into(),
            subnet_ids,
            replication_subnet_group_identifier: None,
            tags: None,
        }
    }

    optional_properties! {
        /// A fixed name, stored lowercase; CloudFormation generates one otherwise. Changing it replaces the group.
        replication_subnet_group_identifier: String,
    }
}

resource_type!(ReplicationSubnetGroup, "AWS::DMS::ReplicationSubnetGroup", tags: list, attributes {
    ref:
    /// The group's identifier (a name, not an ARN), which [`ReplicationInstance::private`] takes.
    subnet_group_identifier,
});

/// `AWS::DMS::ReplicationInstance`. `PubliclyAccessible` defaults to `true` in DMS, so it is fixed to `false`
/// here and is no option (PCI DSS 1.3.1; cfn-guard `DMS_REPLICATION_NOT_PUBLIC`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationInstance {
    replication_instance_class: String,
    publicly_accessible: bool,
    kms_key_id: KeyArn,
    replication_subnet_group_identifier: Expr,
    vpc_security_group_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_instance_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocated_storage: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    engine_version: Option<String>,
    #[serde(rename = "MultiAZ", skip_serializing_if = "Option::is_none")]
    multi_az: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_minor_version_upgrade: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow_major_version_upgrade: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_maintenance_window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl ReplicationInstance {
    /// An instance of `class` (e.g. `dms.t3.medium`) in `subnet_group`, with no public address, its storage
    /// encrypted with `kms_key_id`. The key and the subnet group cannot change without replacing the instance.
    pub fn private(
        class: impl Into<String>,
        kms_key_id: impl Into<KeyArn>,
        subnet_group: Expr,
        vpc_security_group_ids: Vec<Expr>,
    ) -> Self {
        ReplicationInstance {
            replication_instance_class: class.into(),
            publicly_accessible: false,
            kms_key_id: kms_key_id.into(),
            replication_subnet_group_identifier: subnet_group,
            vpc_security_group_ids,
            replication_instance_identifier: None,
            allocated_storage: None,
            engine_version: None,
            multi_az: None,
            auto_minor_version_upgrade: None,
            allow_major_version_upgrade: None,
            preferred_maintenance_window: None,
            tags: None,
        }
    }

    optional_properties! {
        /// Lowercased by DMS; it is the `ReplicationInstanceIdentifier` dimension of DMS metrics.
        replication_instance_identifier: String,
        /// Storage in GB, for task logs and the changes cached while a full load runs.
        allocated_storage: u32,
        /// The DMS engine version (e.g. `3.5.3`); DMS's default when unset.
        engine_version: String,
        /// A standby in a second Availability Zone that DMS fails over to.
        multi_az: bool,
        /// Lets DMS apply minor engine versions in the maintenance window.
        auto_minor_version_upgrade: bool,
        /// Must be `true` for DMS to accept an `engine_version` of a newer major version.
        allow_major_version_upgrade: bool,
        /// A weekly UTC window, `ddd:hh24:mi-ddd:hh24:mi` and at least 30 minutes, in which DMS may upgrade or
        /// restart the instance, pausing its tasks.
        preferred_maintenance_window: String,
    }
}

physical_name!(
    ReplicationInstance,
    replication_instance_identifier,
    "ReplicationInstanceIdentifier",
    |name| Some(name.to_string())
);

resource_type!(ReplicationInstance, "AWS::DMS::ReplicationInstance", tags: list, attributes {
    ref:
    /// The instance's ARN, which tasks and the DMS API take; DMS metrics name the instance by its identifier
    /// instead.
    replication_instance_arn,
});

/// TLS between the replication instance and a database. `none` is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Encrypted, server certificate not verified.
    Require,
    /// Encrypted, certificate chain and host name verified against the endpoint's CA certificate.
    VerifyFull,
}

/// PostgreSQL settings that read the connection details (host, port, username, password) from a secret.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PostgreSqlSettings {
    secrets_manager_secret_id: Expr,
    secrets_manager_access_role_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    heartbeat_enable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    heartbeat_frequency: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_ddls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    map_boolean_as_boolean: Option<bool>,
}

impl PostgreSqlSettings {
    /// Reads host, port, user name and password from the secret `secret_id` through `access_role_arn`, a role
    /// that `dms.{region}.amazonaws.com` can assume and that may read the secret (and decrypt it with its key).
    /// The password appears neither in the template nor in the endpoint (PCI DSS 8.6.2).
    pub fn from_secret(secret_id: Expr, access_role_arn: impl Into<RoleArn>) -> Self {
        PostgreSqlSettings {
            secrets_manager_secret_id: secret_id,
            secrets_manager_access_role_arn: access_role_arn.into().into_expr(),
            heartbeat_enable: None,
            heartbeat_frequency: None,
            capture_ddls: None,
            map_boolean_as_boolean: None,
        }
    }

    /// A CDC source: heartbeats keep the replication slot's WAL position moving on an idle database (so WAL does
    /// not pile up), and DDL capture is off because schema changes are deployed to both sides by migrations.
    pub fn cdc_source(mut self) -> Self {
        self.heartbeat_enable = Some(true);
        self.heartbeat_frequency = Some(5);
        self.capture_ddls = Some(false);
        self
    }

    optional_properties! {
        /// Migrates `boolean` columns as `boolean` rather than DMS's default `varchar(5)`; it takes effect only
        /// when set on both the source and the target endpoint.
        map_boolean_as_boolean: bool,
    }
}

/// Which side of a task an [`Endpoint`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EndpointType {
    /// Read by tasks; as a CDC source, PostgreSQL needs logical replication enabled.
    Source,
    /// Written by tasks.
    Target,
}

/// `AWS::DMS::Endpoint` for PostgreSQL or Aurora PostgreSQL, credentials from Secrets Manager only.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    endpoint_type: EndpointType,
    engine_name: String,
    database_name: String,
    ssl_mode: SslMode,
    kms_key_id: KeyArn,
    postgre_sql_settings: PostgreSqlSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Endpoint {
    /// `engine_name` is `aurora-postgresql` or `postgres`.
    pub fn postgresql(
        endpoint_type: EndpointType,
        engine_name: &str,
        database_name: impl Into<String>,
        ssl_mode: SslMode,
        kms_key_id: impl Into<KeyArn>,
        settings: PostgreSqlSettings,
    ) -> Self {
        Endpoint {
            endpoint_type,
            engine_name: engine_name.into(),
            database_name: database_name.into(),
            ssl_mode,
            kms_key_id: kms_key_id.into(),
            postgre_sql_settings: settings,
            certificate_arn: None,
            endpoint_identifier: None,
            tags: None,
        }
    }

    /// Verifies the server against `certificate_arn` (`verify-full`).
    pub fn verified_by(mut self, certificate_arn: Expr) -> Self {
        self.ssl_mode = SslMode::VerifyFull;
        self.certificate_arn = Some(certificate_arn);
        self
    }

    optional_properties! {
        /// A fixed name: a letter first, then letters, digits and single hyphens, not ending in one. CloudFormation
        /// generates one otherwise.
        endpoint_identifier: String,
    }
}

resource_type!(Endpoint, "AWS::DMS::Endpoint", tags: list, attributes {
    ref:
    /// The endpoint's ARN, which a [`ReplicationTask`] takes as its source or target.
    endpoint_arn,
});

/// `AWS::DMS::Certificate`: a CA certificate (PEM) that endpoints verify servers against.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    certificate_pem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_identifier: Option<String>,
}

impl Certificate {
    /// The CA certificate (or chain) in `certificate_pem`, e.g. the RDS certificate bundle of the region. The PEM
    /// cannot change in place: a new one replaces the certificate.
    pub fn pem(certificate_pem: impl Into<String>) -> Self {
        Certificate {
            certificate_pem: certificate_pem.into(),
            certificate_identifier: None,
        }
    }

    optional_properties! {
        /// A fixed name: a letter first, then letters, digits and single hyphens, not ending in one. CloudFormation
        /// generates one otherwise.
        certificate_identifier: String,
    }
}

resource_type!(Certificate, "AWS::DMS::Certificate", tags: none, attributes {
    ref:
    /// The certificate's ARN, which [`Endpoint::verified_by`] takes.
    certificate_arn,
});

/// What a [`ReplicationTask`] copies. It cannot change without replacing the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationType {
    /// The tables' rows as they are, once; the task stops when they are loaded.
    FullLoad,
    /// The changes made from the task's start position on, until the task is stopped.
    Cdc,
    /// The tables' rows, then the changes made since the load began, until the task is stopped.
    FullLoadAndCdc,
}

/// `AWS::DMS::ReplicationTask`. Table mappings and settings are JSON *strings* in this resource type (unlike
/// `AWS::DMS::ReplicationConfig`, which takes objects), so they are serialized here from JSON values.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationTask {
    migration_type: MigrationType,
    replication_instance_arn: Expr,
    source_endpoint_arn: Expr,
    target_endpoint_arn: Expr,
    table_mappings: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_task_settings: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_task_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl ReplicationTask {
    /// Copies the tables `table_mappings` selects (DMS's table-mapping JSON, `{"rules": [...]}`) from
    /// `source_endpoint_arn` to `target_endpoint_arn` on `replication_instance_arn`. CloudFormation creates the
    /// task but does not start it.
    pub fn new(
        migration_type: MigrationType,
        replication_instance_arn: Expr,
        source_endpoint_arn: Expr,
        target_endpoint_arn: Expr,
        table_mappings: &serde_json::Value,
    ) -> Self {
        ReplicationTask {
            migration_type,
            replication_instance_arn,
            source_endpoint_arn,
            target_endpoint_arn,
            table_mappings: table_mappings.to_string(),
            replication_task_settings: None,
            replication_task_identifier: None,
            resource_identifier: None,
            tags: None,
        }
    }

    /// DMS's task-settings JSON (logging, LOB handling, validation, ...); settings left out keep DMS's defaults.
    pub fn settings(mut self, settings: &serde_json::Value) -> Self {
        self.replication_task_settings = Some(settings.to_string());
        self
    }

    optional_properties! {
        /// The task's name in the console and the API: a letter first, then letters, digits and single hyphens.
        replication_task_identifier: String,
        /// Fixes the last part of the task's ARN, which is the `ReplicationTaskIdentifier` dimension of DMS task
        /// metrics: at most 31 letters, digits and hyphens, starting with a letter.
        resource_identifier: String,
    }
}

/// A task has two names: `ReplicationTaskIdentifier`, its name in the console, and `ResourceIdentifier`, the end of
/// its ARN, under which DMS publishes the task's metrics. migen sets both to the same value; the handle carries it.
impl crate::cfn::PhysicalName for ReplicationTask {
    const NAME_PROPERTY: &'static str = "ResourceIdentifier";
    fn set_physical_name(&mut self, name: &str) {
        self.replication_task_identifier = Some(name.to_string());
        self.resource_identifier = Some(name.to_string());
    }
}

resource_type!(ReplicationTask, "AWS::DMS::ReplicationTask", tags: list, attributes {
    ref:
    /// The task's ARN, which `StartReplicationTask` and the other DMS task calls take.
    replication_task_arn,
});
