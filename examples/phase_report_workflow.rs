//! A workflow added to the shipped stack from outside migen: it reads the migration's phase from Parameter Store
//! and announces it on the operations topic. The ASL builder derives the execution role's statements from the
//! definition's integrations, and `orchestration::workflow` gives the state machine its role, policies, encrypted
//! log group and standalone ASL document, as it does for migen's own workflows.
//!
//! ```sh
//! cargo run --example phase_report_workflow > stack.yaml
//! ```

use migen::asl::integration::{sns_publish, ssm_get_parameter};
use migen::asl::{Input, StateMachineDefinition, Task};
use migen::cfn::Format;
use migen::payment_migration::{self, orchestration};
use migen::spec::{self, Overrides};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = spec::load_shipped("dev", &Overrides::default())?;
    let mut composed = payment_migration::compose(&env);
    let (stack, layers) = (&mut composed.stack, &composed.layers);

    let definition = StateMachineDefinition::new("ReadPhase")
        .comment("Announces the migration's phase on the operations topic")
        .state(
            "ReadPhase",
            Task::new(ssm_get_parameter(&layers.configuration.phase))
                .timeout_seconds(60)
                .next("Announce"),
        )
        .state(
            "Announce",
            Task::new(
                sns_publish(
                    &layers.notification.operations_topic,
                    Input::path("$.Parameter.Value"),
                )
                .encrypted_with(&layers.key),
            )
            .timeout_seconds(60)
            .end(),
        )
        .timeout_from_worst_case(10)
        .build()
        .map_err(|problems| format!("the definition is refused: {problems:?}"))?;

    let name = stack.name("phase report");
    let state_machine = orchestration::workflow(
        stack,
        &layers.key,
        "phase report",
        &name,
        &definition,
        "phase-report.asl.json",
    );
    eprintln!(
        "added {} ({}), its role holding {} statement(s)",
        state_machine.name(),
        state_machine.logical_id(),
        definition.policy_statements().len()
    );

    let stack = composed.seal();
    print!("{}", stack.template.render(Format::Yaml)?.body);
    Ok(())
}
