//! AWS Database Migration Service: the replication instance, the PostgreSQL endpoints and the forward (full
//! load + CDC) and reverse (CDC) tasks. The types are generated (in `src/resources/generated/dms.rs`); the
//! opinion on top of them is written here.
//!
//! Some types need no constructor beyond the generated `new`, which takes what CloudFormation and
//! src/resources/types.toml require. What to know when using them:
//!
//! - [`ReplicationSubnetGroup::new`]: the subnets must span at least two Availability Zones, and creating the
//!   group fails unless the account already has the IAM role `dms-vpc-role`. A fixed
//!   [`replication_subnet_group_identifier`](ReplicationSubnetGroup::replication_subnet_group_identifier) is stored
//!   lowercase; changing it replaces the group. The handle's
//!   [`subnet_group_identifier`](crate::cfn::Handle#method.subnet_group_identifier) (a name, not an ARN) is what
//!   [`ReplicationInstance::private`] takes.
//! - [`Certificate::new`]: a CA certificate (or chain) in PEM that endpoints verify servers against, e.g. the RDS
//!   certificate bundle of the region. The PEM cannot change in place: a new one replaces the certificate. The
//!   handle's [`certificate_arn`](crate::cfn::Handle#method.certificate_arn) is what [`Endpoint::verified_by`]
//!   takes.
//! - A replication instance's identifier is lowercased by DMS; it is the `ReplicationInstanceIdentifier` dimension
//!   of DMS metrics, whereas tasks and the DMS API take the instance's ARN
//!   ([`replication_instance_arn`](crate::cfn::Handle#method.replication_instance_arn)).
//! - [`ReplicationInstance::preferred_maintenance_window`]: a weekly UTC window, `ddd:hh24:mi-ddd:hh24:mi` and at
//!   least 30 minutes, in which DMS may upgrade or restart the instance, pausing its tasks.
//!   [`ReplicationInstance::allow_major_version_upgrade`] must be `true` for DMS to accept an engine version of a
//!   newer major version.
//! - [`PostgreSqlSettings::map_boolean_as_boolean`] migrates `boolean` columns as `boolean` rather than DMS's
//!   default `varchar(5)`; it takes effect only when set on both the source and the target endpoint.
//! - [`MigrationType`] cannot change without replacing the task; CloudFormation creates a task but does not start
//!   it. The handle's [`replication_task_arn`](crate::cfn::Handle#method.replication_task_arn) is what
//!   `StartReplicationTask` and the other DMS task calls take.
//!
//! A replication instance is never publicly accessible: `PubliclyAccessible` is fixed to `false` by the type
//! (types.toml's `fixed`), so there is no setter that could make it public:
//!
//! ```compile_fail
//! use migen::cfn::Expr;
//! use migen::resources::dms::ReplicationInstance;
//! use migen::resources::kms::KeyArn;
//!
//! let key = KeyArn::existing(Expr::lit("arn:aws:kms:ap-southeast-1:123456789012:key/x"));
//! let _ = ReplicationInstance::private("dms.t3.medium", key, Expr::lit("group"), vec![])
//!     .publicly_accessible(true);
//! ```
//!
//! An endpoint's TLS is `require` or `verify-full` ([`SslMode`], types.toml's `values`): `none` does not compile.
//!
//! ```compile_fail
//! use migen::cfn::Expr;
//! use migen::resources::dms::{Endpoint, EndpointType, SslMode};
//! use migen::resources::kms::KeyArn;
//!
//! let key = KeyArn::existing(Expr::lit("arn:aws:kms:ap-southeast-1:123456789012:key/x"));
//! let _ = Endpoint::new(EndpointType::Source, "postgres", key, SslMode::Require).ssl_mode(Expr::lit("none"));
//! ```

pub use super::generated::dms::*;
pub use endpoint::{EndpointType, PostgreSqlSettings, SslMode};
pub use replication_task::MigrationType;

use crate::cfn::Expr;
use crate::resources::slot::{KeyArn, RoleArn};

impl ReplicationInstance {
    /// An instance of `class` (e.g. `dms.t3.medium`) in `subnet_group`, with no public address (DMS's default is
    /// a public one: PCI DSS 1.3.1, cfn-guard `DMS_REPLICATION_NOT_PUBLIC`), its storage encrypted with
    /// `kms_key_id`. The key and the subnet group cannot change without replacing the instance.
    pub fn private(
        class: impl Into<Expr>,
        kms_key_id: impl Into<KeyArn>,
        subnet_group: Expr,
        vpc_security_group_ids: Vec<Expr>,
    ) -> Self {
        ReplicationInstance::new(kms_key_id, class, subnet_group, vpc_security_group_ids)
    }
}

impl PostgreSqlSettings {
    /// Reads host, port, user name and password from the secret `secret_id` through `access_role_arn`, a role
    /// that `dms.{region}.amazonaws.com` can assume and that may read the secret (and decrypt it with its key).
    /// The password appears neither in the template nor in the endpoint (PCI DSS 8.6.2).
    pub fn from_secret(secret_id: Expr, access_role_arn: impl Into<RoleArn>) -> Self {
        PostgreSqlSettings::new()
            .secrets_manager_secret_id(secret_id)
            .secrets_manager_access_role_arn(access_role_arn)
    }

    /// A CDC source: heartbeats keep the replication slot's WAL position moving on an idle database (so WAL does
    /// not pile up), and DDL capture is off because schema changes are deployed to both sides by migrations.
    pub fn cdc_source(self) -> Self {
        self.heartbeat_enable(true)
            .heartbeat_frequency(5)
            .capture_ddls(false)
    }
}

impl Endpoint {
    /// A PostgreSQL or Aurora PostgreSQL endpoint (`engine_name` is `aurora-postgresql` or `postgres`) on
    /// `database_name`, over TLS, its credentials read from Secrets Manager as `settings` say.
    pub fn postgresql(
        endpoint_type: EndpointType,
        engine_name: &str,
        database_name: impl Into<Expr>,
        ssl_mode: SslMode,
        kms_key_id: impl Into<KeyArn>,
        settings: PostgreSqlSettings,
    ) -> Self {
        Endpoint::new(endpoint_type, engine_name, kms_key_id, ssl_mode)
            .database_name(database_name)
            .postgre_sql_settings(settings)
    }

    /// Verifies the server against `certificate_arn` (`verify-full`).
    pub fn verified_by(self, certificate_arn: Expr) -> Self {
        self.ssl_mode(SslMode::VerifyFull)
            .certificate_arn(certificate_arn)
    }
}

impl ReplicationTask {
    /// Copies the tables `table_mappings` selects (DMS's table-mapping JSON, `{"rules": [...]}`) from
    /// `source_endpoint_arn` to `target_endpoint_arn` on `replication_instance_arn`. Named, with source before
    /// target, because the generated `new` takes the three ARNs in the schema's order. Table mappings are a JSON
    /// *string* in this resource type (unlike `AWS::DMS::ReplicationConfig`, which takes objects), serialized here
    /// from a JSON value. CloudFormation creates the task but does not start it.
    pub fn between(
        migration_type: MigrationType,
        replication_instance_arn: Expr,
        source_endpoint_arn: Expr,
        target_endpoint_arn: Expr,
        table_mappings: &serde_json::Value,
    ) -> Self {
        ReplicationTask::new(
            migration_type,
            replication_instance_arn,
            source_endpoint_arn,
            table_mappings.to_string(),
            target_endpoint_arn,
        )
    }

    /// DMS's task-settings JSON (logging, LOB handling, validation, ...), serialized to the string the resource
    /// type takes; settings left out keep DMS's defaults.
    pub fn settings(self, settings: &serde_json::Value) -> Self {
        self.replication_task_settings(settings.to_string())
    }
}

/// A task has two names: `ReplicationTaskIdentifier`, its name in the console, and `ResourceIdentifier`, the end of
/// its ARN (at most 31 letters, digits and hyphens, starting with a letter), under which DMS publishes the task's
/// metrics. migen sets both to the same value; the handle carries it.
impl crate::cfn::PhysicalName for ReplicationTask {
    const NAME_PROPERTY: &'static str = "ResourceIdentifier";
    fn set_physical_name(&mut self, name: &str) {
        self.replication_task_identifier = Some(Expr::lit(name));
        self.resource_identifier = Some(Expr::lit(name));
    }
}
