//! The API and validation layers' promises over the rendered templates: the original outputs, a split that
//! really routes (authorizer never cached, its verdict carried to a header rule), functions hardened alike, a
//! deployment that follows the API's content, and environment variables that match what the Python reads.

mod common;

use std::path::Path;

use serde_json::{Value, json};

use common::{ENVS, absent, array_at, at, object_at, primary, resource, resources, str_at};

fn all_primaries() -> Vec<(String, Value)> {
    common::all_spec_files()
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let primary = common::rendered(&name)[0].1.clone();
            (name, primary)
        })
        .collect()
}

#[test]
fn every_primary_template_has_the_original_outputs() {
    // The nineteen outputs of the original design, under their mapped names.
    let original = [
        "ProductionVpcId",
        "MigrationVpcId",
        "TransitGatewayId",
        "ProductionDbEndpoint",
        "ProductionDbReaderEndpoint",
        "MigrationDbEndpoint",
        "MigrationDbReaderEndpoint",
        "DmsReplicationInstanceArn",
        "DmsReplicationTaskArn",
        "ValidationLambdaArn",
        "AuthorizerLambdaArn",
        "ApiGatewayEndpoint",
        "ApiGatewayId",
        "MigrationStateMachineArn",
        "RollbackStateMachineArn",
        "CheckpointsBucketName",
        "RollbackBucketName",
        "DashboardName",
        "DashboardArn",
    ];
    assert_eq!(original.len(), 19);
    for (spec, doc) in all_primaries() {
        let outputs = object_at(&doc, "Outputs");
        // The runbook's sns_topic_arn, besides the nineteen.
        for id in original.iter().chain(&["OperationsTopicArn"]) {
            assert!(outputs.contains_key(*id), "{spec} lacks output {id}");
        }
        assert_eq!(
            at(&doc, "Outputs.DashboardArn.Value.Fn::Sub.0"),
            "arn:${AWS::Partition}:cloudwatch::${AWS::AccountId}:dashboard/${Name}",
            "{spec}: dashboards are global, so the ARN has no region"
        );
    }
    // With an on-premises source, the production endpoints name its host.
    let prod = primary("prod");
    assert_eq!(
        at(&prod, "Outputs.ProductionDbEndpoint.Value"),
        "172.16.10.20"
    );
    assert_eq!(
        at(&prod, "Outputs.ApiGatewayEndpoint.Value"),
        &json!({"Fn::Sub": ["https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/live",
                            {"Api": {"Ref": "ApiRestApi"}}]})
    );
}

#[test]
fn the_split_is_decided_per_request_and_carried_to_the_load_balancer() {
    for env in ENVS {
        let doc = primary(env);
        let (_, authorizer) = resources(&doc, "AWS::ApiGateway::Authorizer").remove(0);
        assert_eq!(at(authorizer, "Properties.Type"), "REQUEST", "{env}");
        // Never cached: a change of the split or a rollback applies to the next request.
        assert_eq!(
            at(authorizer, "Properties.AuthorizerResultTtlInSeconds"),
            0,
            "{env}"
        );

        let methods = resources(&doc, "AWS::ApiGateway::Method");
        assert_eq!(methods.len(), 2, "{env}: root and {{proxy+}}");
        for (id, method) in methods {
            assert_eq!(
                at(method, "Properties.AuthorizationType"),
                "CUSTOM",
                "{env} {id}"
            );
            let integration = at(method, "Properties.Integration");
            assert_eq!(at(integration, "Type"), "HTTP_PROXY", "{env} {id}");
            assert_eq!(at(integration, "ConnectionType"), "VPC_LINK", "{env} {id}");
            assert_eq!(
                at(integration, "IntegrationTarget"),
                &json!({"Ref": "ApiLoadBalancer"}),
                "{env} {id}"
            );
            assert!(
                str_at(integration, "Uri").starts_with("https://"),
                "{env} {id}"
            );
            assert_eq!(
                at(
                    integration,
                    [
                        "RequestParameters",
                        "integration.request.header.X-Migration-Backend"
                    ]
                ),
                "context.authorizer.backend",
                "{env} {id}"
            );
        }

        let listener = resource(&doc, "ApiListener");
        assert_eq!(at(listener, "Properties.Protocol"), "HTTPS");
        assert_eq!(
            at(listener, "Properties.DefaultActions.0.TargetGroupArn"),
            &json!({"Ref": "ApiProductionTargetGroup"}),
            "{env}: anything but the authorizer's migration verdict goes to production"
        );
        let rule = resource(&doc, "ApiMigrationListenerRule");
        assert_eq!(
            at(rule, "Properties.Conditions.0.HttpHeaderConfig"),
            &json!({"HttpHeaderName": "X-Migration-Backend", "Values": ["migration"]})
        );
        assert_eq!(
            at(rule, "Properties.Actions.0.TargetGroupArn"),
            &json!({"Ref": "ApiMigrationTargetGroup"})
        );
        for side in ["Production", "Migration"] {
            let group = resource(&doc, &format!("Api{side}TargetGroup"));
            assert_eq!(
                at(group, "Properties.Protocol"),
                "HTTPS",
                "{env} {side}: TLS to the backends"
            );
            assert!(!array_at(group, "Properties.Targets").is_empty());
        }
        let api = resource(&doc, "ApiRestApi");
        assert_eq!(
            at(api, "Properties.EndpointConfiguration.Types"),
            &json!(["PRIVATE"]),
            "{env}: not reachable from the internet"
        );
    }
}

#[test]
fn prod_backends_on_premises_are_reached_outside_the_vpc() {
    let doc = primary("prod");
    let production = array_at(
        resource(&doc, "ApiProductionTargetGroup"),
        "Properties.Targets",
    );
    assert_eq!(production.len(), 3);
    for target in production {
        assert_eq!(at(target, "AvailabilityZone"), "all", "{target}");
    }
    for target in array_at(
        resource(&doc, "ApiMigrationTargetGroup"),
        "Properties.Targets",
    ) {
        absent(target, "AvailabilityZone");
    }
}

#[test]
fn functions_are_hardened_alike() {
    for env in ENVS {
        let doc = primary(env);
        let functions = resources(&doc, "AWS::Lambda::Function");
        assert_eq!(functions.len(), 2, "{env}");
        for (id, function) in functions {
            let p = at(function, "Properties");
            assert_eq!(at(p, "Runtime"), "python3.14", "{env} {id}");
            assert_eq!(at(p, "Handler"), "index.handler", "{env} {id}");
            assert_eq!(
                at(p, "KmsKeyArn"),
                &json!({"Fn::GetAtt": ["EncryptionKey", "Arn"]})
            );
            assert_eq!(at(p, "TracingConfig.Mode"), "Active", "{env} {id}");
            assert!(
                at(p, "ReservedConcurrentExecutions")
                    .as_u64()
                    .is_some_and(|n| n >= 1)
            );
            assert_eq!(
                array_at(p, "VpcConfig.SubnetIds").len() as u8,
                if env == "dev" { 2 } else { 3 }
            );
            let group = str_at(p, "LoggingConfig.LogGroup.Ref");
            let log_group = resource(&doc, group);
            assert_eq!(str_at(log_group, "DeletionPolicy"), "Retain");
            assert_eq!(
                at(log_group, "Properties.KmsKeyId"),
                &json!({"Fn::GetAtt": ["EncryptionKey", "Arn"]})
            );
            // The Ref in LoggingConfig orders the group first, so Lambda never creates an unencrypted one that
            // never expires; the role's policies come first too.
            let depends: Vec<&str> = array_at(function, "DependsOn")
                .iter()
                .map(|d| d.as_str().expect("an id"))
                .collect();
            assert!(
                depends.iter().any(|d| d.ends_with("Policy")),
                "{env} {id}: {depends:?}"
            );
        }
        let validation = resource(&doc, "ValidationDataValidationFunction");
        assert_eq!(
            at(validation, "Properties.FunctionName"),
            format!("data-validation-{env}").as_str()
        );
    }
}

/// The names in a Python source's `_REQUIRED_ENV = (...)` tuple.
fn required_environment(source: &str) -> Vec<String> {
    let start = source
        .find("_REQUIRED_ENV = (")
        .expect("the source declares _REQUIRED_ENV");
    let body = &source[start..];
    let body = &body[..body.find(')').expect("the tuple closes")];
    let names: Vec<String> = body
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    names
}

#[test]
fn each_function_gets_exactly_the_environment_its_code_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/lambda");
    let doc = primary("dev");
    for (id, file) in [
        ("ApiAuthorizerFunction", "authorizer.py"),
        ("ValidationDataValidationFunction", "validation.py"),
    ] {
        let source = std::fs::read_to_string(root.join(file)).expect("the source reads");
        let function = resource(&doc, id);
        assert_eq!(
            str_at(function, "Properties.Code.ZipFile"),
            source,
            "{id}: the template embeds the tested file"
        );
        let mut wanted = required_environment(&source);
        wanted.sort();
        let mut given: Vec<String> = object_at(function, "Properties.Environment.Variables")
            .keys()
            .cloned()
            .collect();
        given.sort();
        assert_eq!(given, wanted, "{id}");
    }
}

#[test]
fn the_deployment_follows_the_api_content() {
    let deployment_id = |doc: &Value| -> String {
        let deployments = resources(doc, "AWS::ApiGateway::Deployment");
        assert_eq!(deployments.len(), 1);
        let (id, deployment) = deployments[0];
        let depends = array_at(deployment, "DependsOn");
        assert_eq!(
            depends,
            &vec![json!("ApiRootMethod"), json!("ApiProxyMethod")]
        );
        assert_eq!(
            at(resource(doc, "ApiStage"), "Properties.DeploymentId"),
            &json!({"Ref": id})
        );
        id.clone()
    };
    let dev = common::environment("dev");
    let first = deployment_id(&common::documents(&dev).remove(0).1);
    let again = deployment_id(&common::documents(&dev).remove(0).1);
    assert_eq!(first, again, "an unchanged API keeps its deployment");
    assert!(first.starts_with("ApiDeployment") && first.chars().all(|c| c.is_ascii_alphanumeric()));

    // A change to a method's integration (the host it calls) makes a new deployment.
    let mut changed = dev.clone();
    changed.api.host_name = "payments-api.other.example.internal".into();
    let other = deployment_id(&common::documents(&changed).remove(0).1);
    assert_ne!(first, other);
    // A change outside the API (a log retention) does not.
    let mut unrelated = dev.clone();
    unrelated.log_retention_days = 400;
    assert_eq!(
        first,
        deployment_id(&common::documents(&unrelated).remove(0).1)
    );
}

#[test]
fn the_authorizer_may_read_only_its_token_and_the_two_settings() {
    let doc = primary("dev");
    let policy = resource(&doc, "ApiAuthorizerPolicy");
    let statements = array_at(policy, "Properties.PolicyDocument.Statement");
    let sids: Vec<&str> = statements.iter().map(|s| str_at(s, "Sid")).collect();
    assert_eq!(
        sids,
        [
            "WriteOwnLogs",
            "DecryptEnvironment",
            "ReadToken",
            "ReadSplitSettings"
        ]
    );
    let settings = &statements[3];
    assert_eq!(
        at(settings, "Resource"),
        &json!([
            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/migration/dev/workflow/enable-cutover"},
            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/migration/dev/workflow/traffic-split-percentage"}
        ])
    );
    // The token is generated by the stack and reaches nothing but its secret.
    let token = resource(&doc, "ApiTokenSecret");
    assert_eq!(
        at(token, "Properties.GenerateSecretString.GenerateStringKey"),
        "token"
    );
    let body = serde_json::to_string(&doc).expect("serializes");
    assert!(!body.contains("resolve:secretsmanager:${Secret}:SecretString:token"));
}
