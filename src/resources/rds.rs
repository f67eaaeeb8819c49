//! Amazon RDS (Aurora PostgreSQL): clusters, their instances, subnet and parameter groups, and the global
//! database that carries the migration cluster into secondary regions. The types are generated
//! (in `src/resources/generated/rds.rs`); the opinion on top of them is written here. A master password is a
//! [`SecretReference`] (`secret.resolve("password")`), so a literal one does not compile (PCI DSS 8.6.2):
//!
//! ```compile_fail
//! use migen::{cfn::Expr, resources::rds::DbInstance};
//! let _ = DbInstance::aurora_postgresql_member(Expr::lit("c"), "db.r6g.large").master_user_password(Expr::lit("x"));
//! ```

pub use super::generated::rds::*;
pub use db_cluster::ServerlessV2ScalingConfiguration;

use crate::cfn::Expr;
use crate::resources::iam::RoleArn;
use crate::resources::kms::KeyArn;
use crate::resources::slot::SecretReference;

impl ServerlessV2ScalingConfiguration {
    /// Aurora Serverless v2 capacity between `min` and `max` Aurora capacity units.
    pub fn between(min: f64, max: f64) -> Self {
        ServerlessV2ScalingConfiguration::new()
            .min_capacity(min)
            .max_capacity(max)
    }
}

impl DbCluster {
    /// An Aurora PostgreSQL cluster, always encrypted with a customer-managed key (PCI DSS 3.5). Credentials are
    /// set with [`DbCluster::master_credentials`] on a primary; a secondary member of a global database inherits
    /// them and must not set any.
    pub fn aurora_postgresql(
        engine_version: impl Into<String>,
        kms_key_id: impl Into<KeyArn>,
        db_subnet_group_name: Expr,
        vpc_security_group_ids: Vec<Expr>,
    ) -> Self {
        DbCluster::new(
            db_subnet_group_name,
            "aurora-postgresql",
            engine_version.into(),
            kms_key_id,
            vpc_security_group_ids,
        )
    }

    /// Username and password, given as dynamic references to a secret so neither appears in the template.
    pub fn master_credentials(self, username: SecretReference, password: SecretReference) -> Self {
        self.master_username(username.into_expr())
            .master_user_password(password)
    }

    /// Joins a global database as a secondary member replicating from `source_region`.
    pub fn secondary_of(
        self,
        global_cluster_identifier: Expr,
        source_region: impl Into<String>,
    ) -> Self {
        self.global_cluster_identifier(global_cluster_identifier)
            .source_region(source_region.into())
    }

    /// The PostgreSQL logs CloudWatch Logs receives (`postgresql`), for the audit trail PCI DSS 10.2 asks for.
    pub fn log_exports(self, logs: &[&str]) -> Self {
        self.enable_cloudwatch_logs_exports(logs.iter().map(|l| Expr::lit(*l)).collect::<Vec<_>>())
    }
}

impl DbInstance {
    /// A private instance of an Aurora PostgreSQL cluster that takes minor-version security patches; storage,
    /// encryption, credentials and log exports come from the cluster.
    pub fn aurora_postgresql_member(
        db_cluster_identifier: Expr,
        db_instance_class: impl Into<String>,
    ) -> Self {
        DbInstance::new(
            true,
            db_cluster_identifier,
            db_instance_class.into(),
            "aurora-postgresql",
        )
    }

    /// Performance Insights, encrypted with the given key (its data includes SQL text).
    pub fn performance_insights(self, kms_key_arn: impl Into<KeyArn>, retention_days: u32) -> Self {
        self.enable_performance_insights(true)
            .performance_insights_kms_key_id(kms_key_arn)
            .performance_insights_retention_period(retention_days)
    }

    /// Enhanced monitoring every `interval_seconds` (1, 5, 10, 15, 30 or 60) through `role_arn`.
    pub fn enhanced_monitoring(self, interval_seconds: u32, role_arn: impl Into<RoleArn>) -> Self {
        self.monitoring_interval(interval_seconds)
            .monitoring_role_arn(role_arn)
    }
}

impl GlobalCluster {
    /// A global database created from an existing primary cluster. Engine, version and encryption come from that
    /// cluster; CloudFormation's schema forbids setting them as well.
    pub fn from_primary(
        global_cluster_identifier: impl Into<String>,
        source_cluster_arn: Expr,
    ) -> Self {
        GlobalCluster::new(global_cluster_identifier.into(), source_cluster_arn)
    }
}
