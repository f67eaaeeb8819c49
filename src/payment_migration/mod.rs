//! The payment migration, composed from typed resources into layers, one file per layer. [`build`] assembles the
//! primary region's stack in dependency order: the key first (everything is encrypted with it), then the
//! network, databases, DMS, storage, notification, configuration, the API, validation and the
//! orchestration workflows. [`build_secondary`] assembles a secondary
//! region's stack: its own key, a private VPC and the global database's secondary cluster.

pub mod alerting;
pub mod api;
pub mod capacity;
pub mod configuration;
pub mod database;
pub mod encryption;
pub mod functions;
pub mod migration;
pub mod monitoring;
pub mod network;
pub mod notification;
pub mod operations;
pub mod orchestration;
pub mod preflight;
pub mod stack;
pub mod storage;
pub mod validation;

use crate::spec::{Environment, SecondaryRegion};

pub use stack::{Layer, Stack};

/// The template of the environment's primary region: [`compose`], then [`Composed::seal`].
pub fn build(env: &Environment) -> Stack<'_> {
    compose(env).seal()
}

/// The primary region's stack with every layer built and its key and topic policies not yet written, and the
/// layers' handles. A platform team extends the shipped stack here: it adds its own resources to
/// [`Composed::stack`], refers to the layers' resources through [`Composed::layers`], registers what they need
/// from the key or the operations topic ([`Stack::use_key_via`], [`Stack::grant_key`],
/// [`Stack::allow_topic_publish`]), and then calls [`Composed::seal`]; a registration after sealing is reported
/// by the preflight check instead of reaching the policies.
pub struct Composed<'e> {
    /// The stack with every layer's resources, open for more until [`Composed::seal`].
    pub stack: Stack<'e>,
    /// The layers' handles, by which added resources refer to the shipped ones.
    pub layers: Layers,
}

/// The handles of the primary region's layers.
pub struct Layers {
    /// The region's customer-managed key (`alias/payment-migration-<env>`), retained on delete: whatever stores
    /// data encrypts with it, after registering its use ([`Stack::use_key_via`], [`Stack::grant_key`]).
    pub key: crate::cfn::Handle<crate::resources::kms::Key>,
    /// Both VPCs, the Transit Gateway and the tiers' security groups.
    pub network: network::Network,
    /// The source database and the migration cluster.
    pub databases: database::Databases,
    /// The DMS replication instance, its forward and reverse tasks, and their metric dimensions.
    pub replication: migration::Replication,
    /// The checkpoints, rollback-state and load balancer log buckets.
    pub storage: storage::Storage,
    /// The operations topic.
    pub notification: notification::Notification,
    /// The workflow switches in Parameter Store: phase, traffic split, cutover.
    pub configuration: configuration::Configuration,
    /// The private payment API, its authorizer and its log groups.
    pub api: api::Api,
    /// The data validation function.
    pub validation: validation::Validation,
    /// The gates, health and signal alarms, including the workflows' failure alarms.
    pub alarms: alerting::Alarms,
    /// The migration and rollback state machines.
    pub workflows: orchestration::Orchestration,
}

/// Every layer of the primary region, in dependency order, before the key and topic policies are written.
pub fn compose(env: &Environment) -> Composed<'_> {
    let mut stack = Stack::new(
        env,
        &env.primary_region,
        format!(
            "Payment migration ({}, {}, primary region): encryption, network, database, migration, storage, \
             notification, configuration, API, validation, orchestration and monitoring layers",
            env.name, env.primary_region
        ),
    );
    let key = encryption::build(&mut stack);
    let network = network::build(&mut stack, &key);
    let databases = database::build(&mut stack, &key, &network);
    let replication = migration::build(&mut stack, &key, &network, &databases);
    let storage = storage::build(&mut stack, &key);
    let notification = notification::build(&mut stack, &key);
    let configuration = configuration::build(
        &mut stack,
        &storage,
        &notification,
        &databases,
        &replication,
    );
    let api = api::build(&mut stack, &key, &network, &configuration, &storage);
    let validation = validation::build(&mut stack, &key, &network, &replication, &storage);
    let watched = alerting::Watched {
        notification: &notification,
        databases: &databases,
        replication: &replication,
        api: &api,
        validation: &validation,
    };
    let mut alarms = alerting::alarms(&mut stack, &watched);
    let workflows = orchestration::build(
        &mut stack,
        &orchestration::Resources {
            key: &key,
            configuration: &configuration,
            replication: &replication,
            storage: &storage,
            notification: &notification,
            validation: &validation,
            alarms: &alarms,
        },
    );
    monitoring::finish(&mut stack, &watched, &mut alarms, &workflows);
    Composed {
        stack,
        layers: Layers {
            key,
            network,
            databases,
            replication,
            storage,
            notification,
            configuration,
            api,
            validation,
            alarms,
            workflows,
        },
    }
}

impl<'e> Composed<'e> {
    /// Writes the shared key's and the operations topic's policies from what every layer (and whoever extended
    /// the stack) registered, and returns the finished stack.
    pub fn seal(self) -> Stack<'e> {
        let Composed { mut stack, layers } = self;
        notification::seal(&mut stack, &layers.notification);
        encryption::seal(&mut stack, &layers.key);
        stack
    }
}

/// The template of a secondary region: deployed after the primary, whose global database it joins.
pub fn build_secondary<'e>(env: &'e Environment, secondary: &SecondaryRegion) -> Stack<'e> {
    let mut stack = Stack::new(
        env,
        &secondary.region,
        format!(
            "Payment migration ({}, {}, secondary region of {}): encryption, network, the global database's \
             secondary cluster, and its replication-lag alarm with the region's operations topic",
            env.name, secondary.region, env.primary_region
        ),
    );
    let key = encryption::build(&mut stack);
    let index = env
        .secondary_regions
        .iter()
        .position(|s| s.region == secondary.region)
        .unwrap_or_default();
    let field = format!("secondary_regions[{index}].vpc_cidr");
    let (vpc, database_group) = network::secondary_region(&mut stack, &field, &secondary.vpc, &key);
    let cluster =
        database::secondary_cluster(&mut stack, &key, &vpc.private_subnets, &database_group);
    // Alarms act only on topics of their own region: the secondary's lag alarm pages through a topic here.
    let notification = notification::build(&mut stack, &key);
    alerting::secondary(&mut stack, &notification, &cluster);
    notification::seal(&mut stack, &notification);
    encryption::seal(&mut stack, &key);
    stack
}
