//! The orchestration and monitoring layers' promises on every shipped environment: both workflows exist with
//! their outputs, their documents carry the spec's pace, their roles name exact resources, and the alarms they
//! read are the stack's own, on metrics with the dimensions DMS publishes.

mod common;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use common::{ENVS, array_at, at, environment, primary as document, resource, resources, str_at};

/// The state machine named `name` in the template, with its logical id.
fn state_machine<'a>(doc: &'a Value, name: &str) -> (&'a String, &'a Value) {
    let found: Vec<_> = resources(doc, "AWS::StepFunctions::StateMachine")
        .into_iter()
        .filter(|(_, r)| str_at(r, "Properties.StateMachineName") == name)
        .collect();
    assert_eq!(found.len(), 1, "one state machine named {name}");
    found[0]
}

/// The policies attached to the role `role_id`.
fn role_policies<'a>(doc: &'a Value, role_id: &str) -> Vec<&'a Value> {
    let policies: Vec<&Value> = resources(doc, "AWS::IAM::ManagedPolicy")
        .into_iter()
        .filter(|(_, p)| array_at(p, "Properties.Roles").contains(&json!({"Ref": role_id})))
        .map(|(_, p)| p)
        .collect();
    assert!(!policies.is_empty(), "{role_id} has policies");
    policies
}

fn actions(statement: &Value) -> Vec<String> {
    match at(statement, "Action") {
        Value::String(a) => vec![a.clone()],
        Value::Array(list) => list
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect(),
        other => panic!("Action is {other}"),
    }
}

#[test]
fn both_workflows_exist_logged_traced_encrypted_with_their_outputs() {
    for env in ENVS {
        let doc = document(env);
        for (name, output) in [
            (
                format!("payment-migration-migration-{env}"),
                "MigrationStateMachineArn",
            ),
            (
                format!("payment-migration-rollback-{env}"),
                "RollbackStateMachineArn",
            ),
        ] {
            let (id, machine) = state_machine(&doc, &name);
            assert_eq!(str_at(machine, "Properties.StateMachineType"), "STANDARD");
            assert_eq!(
                str_at(machine, "Properties.LoggingConfiguration.Level"),
                "ALL"
            );
            assert_eq!(
                at(
                    machine,
                    "Properties.LoggingConfiguration.IncludeExecutionData"
                ),
                &json!(false)
            );
            assert_eq!(
                at(machine, "Properties.TracingConfiguration.Enabled"),
                &json!(true)
            );
            assert_eq!(
                str_at(machine, "Properties.EncryptionConfiguration.Type"),
                "CUSTOMER_MANAGED_KMS_KEY"
            );
            assert_eq!(
                at(&doc, ["Outputs", output, "Value"]),
                &json!({"Ref": id}),
                "{env}: {output}"
            );
        }
    }
}

#[test]
fn the_migration_document_carries_the_specs_pace() {
    for env in ENVS {
        let spec = environment(env);
        let doc = document(env);
        let (_, machine) = state_machine(&doc, &format!("payment-migration-migration-{env}"));
        let definition = at(machine, "Properties.Definition");
        let steps: Vec<String> = spec
            .orchestration
            .traffic_steps
            .iter()
            .map(u32::to_string)
            .collect();
        assert_eq!(
            at(definition, "States.StartTrafficShift.Result.Steps"),
            &json!(steps),
            "{env}"
        );
        assert_eq!(
            at(definition, "States.RequestApproval.TimeoutSeconds"),
            &json!(spec.orchestration.approval_timeout_hours * 3600)
        );
        // A step bakes for at least the spec's minutes: its checks, that many apart, cover them.
        let bake = array_at(definition, "States.IsStepHealthy.Choices");
        let checks = bake
            .iter()
            .filter(|rule| rule["Next"] == "NextTrafficStep")
            .flat_map(|rule| rule["And"].as_array().into_iter().flatten().chain([rule]))
            .filter(|c| c["Variable"] == "$.poll.Polls")
            .filter_map(|c| c["NumericGreaterThanEquals"].as_u64())
            .collect::<Vec<_>>();
        let [checks] = checks[..] else {
            panic!("{env}: one count of checks moves a step on: {checks:?}")
        };
        let interval = at(definition, "States.WaitForBake.Seconds")
            .as_u64()
            .unwrap();
        assert!(interval >= 60, "{env}: {interval}");
        assert!(
            checks * interval >= u64::from(spec.orchestration.bake_minutes) * 60,
            "{env}: {checks} checks {interval} s apart bake less than {} min",
            spec.orchestration.bake_minutes
        );
        // Nothing reads the execution input (`--input '{}'` works): the first state replaces it.
        let first = str_at(definition, "StartAt");
        assert_eq!(
            at(definition, ["States", first, "Parameters"]),
            &json!({"environment": env, "execution.$": "$$.Execution.Id"})
        );
    }
}

#[test]
fn execution_roles_name_exact_resources_except_where_aws_allows_only_star() {
    // Actions AWS authorizes only on "*", each with its reason in the policy's description.
    let star_only: BTreeSet<&str> = [
        "dms:DescribeReplicationTasks",
        "dms:DescribeConnections",
        "cloudwatch:DescribeAlarms",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]
    .into_iter()
    .collect();
    for env in ENVS {
        let doc = document(env);
        for workflow in ["migration", "rollback"] {
            let (_, machine) = state_machine(&doc, &format!("payment-migration-{workflow}-{env}"));
            let role = str_at(machine, "Properties.RoleArn.Fn::GetAtt.0");
            let mut scoped = 0;
            for policy in role_policies(&doc, role) {
                for statement in array_at(policy, "Properties.PolicyDocument.Statement") {
                    let resource = at(statement, "Resource");
                    if resource == &json!("*") {
                        for action in actions(statement) {
                            assert!(
                                star_only.contains(action.as_str()),
                                "{env}/{workflow}: {action} granted on *"
                            );
                        }
                    } else {
                        assert!(
                            !actions(statement).iter().any(|a| a.ends_with('*')),
                            "{env}/{workflow}: wildcard action"
                        );
                        scoped += 1;
                    }
                }
            }
            assert!(scoped >= 5, "{env}/{workflow}: {scoped} scoped statements");
        }
        // The migration may start the rollback, and only the rollback.
        let (rollback_id, _) = state_machine(&doc, &format!("payment-migration-rollback-{env}"));
        let (_, migration) = state_machine(&doc, &format!("payment-migration-migration-{env}"));
        let role = str_at(migration, "Properties.RoleArn.Fn::GetAtt.0");
        let starts: Vec<&Value> = role_policies(&doc, role)
            .into_iter()
            .flat_map(|p| array_at(p, "Properties.PolicyDocument.Statement"))
            .filter(|s| actions(s).contains(&"states:StartExecution".to_string()))
            .collect();
        assert_eq!(starts.len(), 1);
        assert_eq!(at(starts[0], "Resource"), &json!({"Ref": rollback_id}));
    }
}

#[test]
fn the_health_gate_is_the_stacks_composite_alarm_over_every_paging_alarm() {
    for env in ENVS {
        let doc = document(env);
        let (_, migration) = state_machine(&doc, &format!("payment-migration-migration-{env}"));
        let read = str_at(
            migration,
            "Properties.Definition.States.DescribeAlarmsWhileBaking.Parameters.AlarmNames.1",
        );
        let placeholder = read.trim_start_matches("${").trim_end_matches('}');
        let bound = at(
            migration,
            ["Properties", "DefinitionSubstitutions", placeholder],
        );
        let composite_id = str_at(bound, "Ref");
        let composite = resource(&doc, composite_id);
        assert_eq!(str_at(composite, "Type"), "AWS::CloudWatch::CompositeAlarm");
        let rule = at(composite, "Properties.AlarmRule.Fn::Sub");
        let variables = rule[1].as_object().expect("Fn::Sub variables");
        let children: BTreeSet<&str> = variables.values().map(|v| str_at(v, "Ref")).collect();
        // Every alarm that pages the topic is a child, except the signals that moving traffic back would not
        // fix (a security signal, DMS's own retried errors, the workflows' failures); the gates page nobody.
        let signals: BTreeSet<&str> = [
            "MonitoringAuthorizerDenialsAlarm",
            "MonitoringAuthorizerDegradedAlarm",
            "MonitoringAuthorizerThrottlesAlarm",
            "MonitoringAuthorizerFailuresAlarm",
            "MonitoringDmsTaskErrorsAlarm",
            "MonitoringMigrationWorkflowFailedAlarm",
            "MonitoringRollbackWorkflowFailedAlarm",
        ]
        .into_iter()
        .collect();
        let paging: BTreeSet<&str> = resources(&doc, "AWS::CloudWatch::Alarm")
            .into_iter()
            .filter(|(_, a)| a["Properties"].get("AlarmActions").is_some())
            .map(|(id, _)| id.as_str())
            .collect();
        assert!(signals.is_subset(&paging), "{env}: {paging:?}");
        let health: BTreeSet<&str> = paging.difference(&signals).copied().collect();
        assert!(health.len() >= 6, "{env}: {health:?}");
        assert_eq!(children, health, "{env}");
        for gate in [
            "MonitoringForwardCdcLatencyAlarm",
            "MonitoringReverseCdcLatencyAlarm",
        ] {
            assert!(
                resource(&doc, gate)["Properties"]
                    .get("AlarmActions")
                    .is_none(),
                "{env}: {gate} pages"
            );
        }
        for (id, alarm) in resources(&doc, "AWS::CloudWatch::Alarm") {
            let missing = str_at(alarm, "Properties.TreatMissingData");
            assert!(
                ["breaching", "notBreaching"].contains(&missing),
                "{env}/{id}: missing data treated deliberately, not {missing}"
            );
            assert!(
                str_at(alarm, "Properties.AlarmDescription").contains("Missing data is"),
                "{env}/{id}: the description says why"
            );
        }
    }
}

#[test]
fn dms_metrics_name_the_instance_identifier_and_the_task_resource_id() {
    for env in ENVS {
        let doc = document(env);
        let instance = resource(&doc, "MigrationReplicationInstance");
        let instance_id =
            str_at(instance, "Properties.ReplicationInstanceIdentifier").to_lowercase();
        let task_ids: BTreeSet<&str> = ["MigrationForwardTask", "MigrationReverseTask"]
            .into_iter()
            .map(|id| str_at(resource(&doc, id), "Properties.ResourceIdentifier"))
            .collect();
        let mut seen = 0;
        for (_, alarm) in resources(&doc, "AWS::CloudWatch::Alarm") {
            let Some(queries) = alarm["Properties"].get("Metrics") else {
                continue;
            };
            for query in queries.as_array().unwrap() {
                let Some(stat) = query.get("MetricStat") else {
                    continue;
                };
                if str_at(stat, "Metric.Namespace") != "AWS/DMS" {
                    continue;
                }
                let dimensions = array_at(stat, "Metric.Dimensions");
                let value = |name: &str| {
                    dimensions
                        .iter()
                        .find(|d| str_at(d, "Name") == name)
                        .map(|d| str_at(d, "Value"))
                        .unwrap_or_else(|| panic!("{env}: no {name} dimension"))
                };
                assert_eq!(dimensions.len(), 2);
                assert_eq!(value("ReplicationInstanceIdentifier"), instance_id);
                assert!(task_ids.contains(value("ReplicationTaskIdentifier")));
                seen += 1;
            }
        }
        assert!(seen >= 6, "{env}: {seen} DMS metric queries");
    }
}

/// `Fn::Sub` of a string without variables, as CloudFormation resolves it in `region`: the region and partition
/// filled in, `${!` made `${`, the account left as it is (it is known only when deployed).
fn substitute(text: &str, region: &str) -> String {
    text.replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", "aws")
        .replace("${!", "${")
}

#[test]
fn the_standalone_dashboard_is_the_body_the_template_embeds() {
    for env in ENVS {
        let spec = environment(env);
        let doc = document(env);
        let dashboards = resources(&doc, "AWS::CloudWatch::Dashboard");
        assert_eq!(dashboards.len(), 1, "{env}");
        let (_, dashboard) = dashboards[0];
        assert_eq!(
            str_at(dashboard, "Properties.DashboardName"),
            format!("migration-dashboard-{env}")
        );
        let embedded = substitute(
            str_at(dashboard, "Properties.DashboardBody.Fn::Sub"),
            &spec.primary_region,
        );
        let embedded: Value = serde_json::from_str(&embedded).expect("the resolved body is JSON");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("out/{env}/dashboard.json"));
        let standalone: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).expect("out/<env>/dashboard.json is committed"),
        )
        .unwrap();
        assert_eq!(standalone, embedded, "{env}: run scripts/render-out");
        let widgets = array_at(&standalone, "widgets");
        assert!(widgets.len() >= 15, "{env}: {} widgets", widgets.len());
        let titles: Vec<&str> = widgets
            .iter()
            .filter_map(|w| w["properties"].get("title").and_then(Value::as_str))
            .collect();
        for expected in [
            "Database CPU: migration (%)",
            "Replication lag: CDC latency (s)",
            "Replication throughput (rows/s)",
            "Function errors",
            "API requests",
            "API latency (ms)",
            "Data validation: verdicts",
            "Workflow executions: migration",
        ] {
            assert!(
                titles.contains(&expected),
                "{env}: no widget {expected:?} in {titles:?}"
            );
        }
        let global = titles.contains(&"Global database replication lag (ms)");
        assert_eq!(global, !spec.secondary_regions.is_empty(), "{env}");
    }
}
