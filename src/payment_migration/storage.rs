//! The storage layer: versioned buckets for workflow checkpoints and rollback state, and for the API load
//! balancer's access logs. Deleting the stack must not lose a checkpoint, so every data bucket is retained on
//! delete and replacement, replicated to a replica bucket, encrypted with the region's key, reachable only over
//! TLS, and access-logged. The log buckets are retained and kept for the spec's log retention (at least a year in
//! PCI scope, PCI DSS 10.5.1), encrypted with SSE-S3 because S3 and ELB log delivery accept nothing else.

use crate::cfn::{Attributes, Expr, Handle, LogicalId, Output};
use crate::resources::iam::{ManagedPolicy, PolicyDocument, Principal, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::s3::{
    Bucket, BucketEncryption, BucketPolicy, LifecycleRule, ReplicationConfiguration,
};

use crate::spec::regions::{self, LoadBalancerLogDelivery};

use super::stack::{Layer, Stack};

/// What later layers need from storage.
pub struct Storage {
    /// Where the migration workflow saves its state at each phase (`checkpoints/<execution>/<phase>.json`) and
    /// the validation function its reports; versioned, replicated, encrypted with the region's key.
    pub checkpoints: Handle<Bucket>,
    /// Where the rollback workflow saves what it found (the phase, both tasks' statuses), under
    /// [`ROLLBACK_STATE_PREFIX`](super::orchestration::rollback::ROLLBACK_STATE_PREFIX); kept like the checkpoints.
    pub rollback_state: Handle<Bucket>,
    /// Where the API's load balancer writes its access logs, under [`LOAD_BALANCER_LOG_PREFIX`].
    pub load_balancer_logs: Handle<Bucket>,
    /// The policy that lets the region's log delivery write there: ELB checks it when logging is switched on.
    pub load_balancer_log_delivery: Handle<BucketPolicy>,
}

/// The key prefix of the load balancer's access logs in their bucket.
pub const LOAD_BALANCER_LOG_PREFIX: &str = "load-balancer";

/// Noncurrent versions stay in S3 Standard this long before moving to Standard-IA (S3's minimum is 30 days).
const NONCURRENT_TO_IA_DAYS: u32 = 30;
/// Parts of an abandoned multipart upload are billed until removed.
const ABORT_UPLOADS_AFTER_DAYS: u32 = 7;

const REPLICA_REASON: &str = "This bucket is the replication destination of a data bucket; a replica of the \
                              replica would add no copy that the source does not already have.";
const LOG_SINK_LOGGING_REASON: &str = "This bucket receives the server access logs of the stack's other buckets; \
                                       a log bucket that logs into itself loops.";
const LOG_SINK_ENCRYPTION_REASON: &str = "S3 delivers server access logs only to buckets encrypted with SSE-S3, \
                                          so this bucket cannot use the stack's key; it holds request logs, never \
                                          cardholder data.";
const LOG_SINK_REPLICATION_REASON: &str = "Server access logs are best-effort request records, retained here for \
                                           the spec's log retention; their replica could log nowhere but into \
                                           this bucket, a dependency cycle. The data buckets are replicated.";
const LOAD_BALANCER_LOGS_ENCRYPTION_REASON: &str = "Elastic Load Balancing delivers access logs only to buckets \
                                                   encrypted with SSE-S3, so this bucket cannot use the stack's \
                                                   key; it holds request records, never cardholder data.";
const LOAD_BALANCER_LOGS_REPLICATION_REASON: &str = "Load balancer access logs are request records kept for the \
                                                    spec's log retention (PCI DSS 10.5.1) in a retained, versioned \
                                                    bucket; a replica would copy records, not protect data the \
                                                    migration depends on.";

/// The storage layer: the server access log bucket, the load balancer's log bucket, the two data buckets with
/// their replicas and replication role, and the data buckets' outputs. Every bucket is retained on delete.
pub fn build(stack: &mut Stack, key: &Handle<Key>) -> Storage {
    // The buckets encrypt with the key (SSE-KMS).
    stack.use_key_via("s3");
    let retention = stack.env.log_retention_days;
    let stack_region = stack.region.clone();

    // S3 delivers server access logs only to buckets encrypted with SSE-S3, not SSE-KMS.
    let (logs, log_delivery) = retained_bucket(
        stack,
        "access logs bucket",
        Bucket::private_versioned(BucketEncryption::s3_managed()).lifecycle_rules(vec![
            LifecycleRule::enabled("expire-access-logs")
                .expire_current_after(retention)
                .expire_noncurrent_after(NONCURRENT_TO_IA_DAYS)
                .abort_incomplete_uploads_after(ABORT_UPLOADS_AFTER_DAYS),
        ]),
        Attributes::new()
            .suppress_guard_rule("S3_BUCKET_LOGGING_ENABLED", LOG_SINK_LOGGING_REASON)
            .skip_checkov_check("CKV_AWS_18", LOG_SINK_LOGGING_REASON)
            .suppress_guard_rule("S3_BUCKET_REPLICATION_ENABLED", LOG_SINK_REPLICATION_REASON)
            .suppress_guard_rule(
                "MIGEN_BUCKET_ENCRYPTED_WITH_STACK_KEY",
                LOG_SINK_ENCRYPTION_REASON,
            ),
        |bucket| {
            vec![
                Statement::allow("AllowServerAccessLogDelivery", &["s3:PutObject"])
                    .principal(Principal::service("logging.s3.amazonaws.com"))
                    .resource(objects(bucket))
                    .from_this_account(),
            ]
        },
    );

    let (load_balancer_logs, load_balancer_log_delivery) = retained_bucket(
        stack,
        "load balancer logs bucket",
        Bucket::private_versioned(BucketEncryption::s3_managed())
            .lifecycle_rules(vec![
                LifecycleRule::enabled("expire-load-balancer-logs")
                    .expire_current_after(retention)
                    .expire_noncurrent_after(NONCURRENT_TO_IA_DAYS)
                    .abort_incomplete_uploads_after(ABORT_UPLOADS_AFTER_DAYS),
            ])
            .access_logs_to(&logs, "load-balancer-logs/"),
        Attributes::new()
            .depends_on(&log_delivery)
            .suppress_guard_rule(
                "S3_BUCKET_REPLICATION_ENABLED",
                LOAD_BALANCER_LOGS_REPLICATION_REASON,
            )
            .suppress_guard_rule(
                "MIGEN_BUCKET_ENCRYPTED_WITH_STACK_KEY",
                LOAD_BALANCER_LOGS_ENCRYPTION_REASON,
            ),
        |bucket| vec![load_balancer_log_delivery_statement(&stack_region, bucket)],
    );

    let data_bucket = || {
        Bucket::private_versioned(BucketEncryption::kms(key)).lifecycle_rules(vec![
            LifecycleRule::enabled("age-noncurrent-versions")
                .noncurrent_to_infrequent_access(NONCURRENT_TO_IA_DAYS)
                .expire_noncurrent_after(retention)
                .abort_incomplete_uploads_after(ABORT_UPLOADS_AFTER_DAYS),
        ])
    };
    // S3 checks that the log bucket grants delivery when logging is switched on, hence the dependency on the
    // log bucket's policy.
    let logged = || Attributes::new().depends_on(&log_delivery);

    let replication_role = stack.add(
        Layer::Storage,
        "replication role",
        Role::for_service_in_this_account("s3.amazonaws.com")
            .description("Replicates the checkpoints and rollback-state buckets to their replicas"),
    );

    let mut replicated = |purpose: &str, log_prefix: &str| {
        let (replica, _) = retained_bucket(
            stack,
            &format!("{purpose} replica bucket"),
            data_bucket().access_logs_to(&logs, format!("{log_prefix}-replica/")),
            logged().suppress_guard_rule("S3_BUCKET_REPLICATION_ENABLED", REPLICA_REASON),
            |_| vec![],
        );
        let (source, _) = retained_bucket(
            stack,
            &format!("{purpose} bucket"),
            data_bucket()
                .access_logs_to(&logs, format!("{log_prefix}/"))
                .replication_configuration(ReplicationConfiguration::everything(
                    &replication_role,
                    &replica,
                    key,
                    "",
                )),
            logged(),
            |_| vec![],
        );
        (source, replica)
    };
    let checkpoints = replicated("checkpoints", "checkpoints");
    let rollback_state = replicated("rollback state", "rollback-state");
    replication_policy(
        stack,
        &replication_role,
        &[checkpoints.clone(), rollback_state.clone()],
        key,
    );
    let (checkpoints, rollback_state) = (checkpoints.0, rollback_state.0);

    for (output, description, bucket) in [
        (
            "CheckpointsBucketName",
            "Workflow checkpoints bucket (checkpoints_bucket_name)",
            &checkpoints,
        ),
        (
            "RollbackBucketName",
            "Rollback-state bucket (rollback_bucket_name)",
            &rollback_state,
        ),
    ] {
        stack.template.output(
            LogicalId::verbatim(output),
            Output::new(description, bucket.bucket_name()),
        );
    }
    Storage {
        checkpoints,
        rollback_state,
        load_balancer_logs,
        load_balancer_log_delivery,
    }
}

/// Lets the region's Elastic Load Balancing log delivery write the load balancer's access logs of this account:
/// the region's ELB account in regions available before August 2022, the log delivery service principal in later
/// ones (ELB user guide, "Enable access logs for your Application Load Balancer").
fn load_balancer_log_delivery_statement(region: &str, bucket: &Handle<Bucket>) -> Statement {
    let principal = match regions::load_balancer_log_delivery(region) {
        Some(LoadBalancerLogDelivery::Account(account)) => Principal::aws(Expr::sub(format!(
            "arn:${{AWS::Partition}}:iam::{account}:root"
        ))),
        Some(LoadBalancerLogDelivery::Service) | None => {
            Principal::service(regions::LOAD_BALANCER_LOG_DELIVERY_SERVICE)
        }
    };
    Statement::allow("AllowLoadBalancerLogDelivery", &["s3:PutObject"])
        .principal(principal)
        .resource(Expr::sub_with(
            format!("${{Bucket}}/{LOAD_BALANCER_LOG_PREFIX}/AWSLogs/${{AWS::AccountId}}/*"),
            [("Bucket", bucket.arn())],
        ))
}

/// A bucket kept when the stack is deleted or the bucket replaced, with a bucket policy that refuses requests
/// without TLS (PCI DSS 4.1) plus the statements `extra` adds.
fn retained_bucket(
    stack: &mut Stack,
    purpose: &str,
    bucket: Bucket,
    attributes: Attributes,
    extra: impl FnOnce(&Handle<Bucket>) -> Vec<Statement>,
) -> (Handle<Bucket>, Handle<BucketPolicy>) {
    let handle = stack.add_with(Layer::Storage, purpose, bucket, attributes.retain());
    let mut statements = vec![
        Statement::deny("DenyInsecureTransport", &["s3:*"])
            .principal(Principal::Everyone)
            .resource(handle.arn())
            .resource(objects(&handle))
            .condition("Bool", "aws:SecureTransport", false),
    ];
    statements.extend(extra(&handle));
    let policy = stack.add(
        Layer::Storage,
        &format!("{purpose} policy"),
        BucketPolicy::new(&handle, PolicyDocument::new(statements)),
    );
    (handle, policy)
}

/// Every object of a bucket: `arn:…:bucket/*`.
fn objects(bucket: &Handle<Bucket>) -> Expr {
    Expr::sub_with("${Bucket}/*", [("Bucket", bucket.arn())])
}

fn replication_policy(
    stack: &mut Stack,
    role: &Handle<Role>,
    pairs: &[(Handle<Bucket>, Handle<Bucket>)],
    key: &Handle<Key>,
) {
    let via_s3 = || Expr::sub("s3.${AWS::Region}.${AWS::URLSuffix}");
    let statements = vec![
        Statement::allow(
            "ReadReplicationConfiguration",
            &["s3:GetReplicationConfiguration", "s3:ListBucket"],
        )
        .resources(pairs.iter().map(|(source, _)| source.arn())),
        Statement::allow(
            "ReadSourceVersions",
            &[
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionTagging",
            ],
        )
        .resources(pairs.iter().map(|(source, _)| objects(source))),
        Statement::allow(
            "WriteReplicas",
            &[
                "s3:ReplicateDelete",
                "s3:ReplicateObject",
                "s3:ReplicateTags",
            ],
        )
        .resources(pairs.iter().map(|(_, replica)| objects(replica))),
        Statement::allow("DecryptSources", &["kms:Decrypt"])
            .resource(key.arn())
            .condition("StringEquals", "kms:ViaService", via_s3()),
        Statement::allow("EncryptReplicas", &["kms:Encrypt", "kms:GenerateDataKey"])
            .resource(key.arn())
            .condition("StringEquals", "kms:ViaService", via_s3()),
    ];
    stack.add(
        Layer::Storage,
        "replication policy",
        ManagedPolicy::new(PolicyDocument::new(statements))
            .description("Replicates the data buckets to their replicas, and nothing else")
            .attach_to(role.role_name()),
    );
}
