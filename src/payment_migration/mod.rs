//! The payment migration, composed from typed resources into layers, one file per layer. [`build`] assembles a
//! region's stack in dependency order: the key first (everything is encrypted with it), then the network,
//! storage, notification and configuration.

pub mod configuration;
pub mod encryption;
pub mod network;
pub mod notification;
pub mod stack;
pub mod storage;

use crate::spec::Environment;

pub use stack::{Layer, Stack};

/// The template of the environment's primary region.
pub fn build(env: &Environment) -> Stack<'_> {
    let mut stack = Stack::new(
        env,
        &env.primary_region,
        format!(
            "Payment migration ({}, {}): encryption, network, storage, notification and configuration layers",
            env.name, env.primary_region
        ),
    );
    let key = encryption::build(&mut stack);
    network::build(&mut stack, &key);
    let storage = storage::build(&mut stack, &key);
    let notification = notification::build(&mut stack, &key);
    configuration::build(&mut stack, &storage, &notification);
    stack
}
