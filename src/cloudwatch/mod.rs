//! Amazon CloudWatch's own vocabulary: metrics named by the handles of the resources that publish them, so an
//! alarm or a widget cannot ask for a dimension the service does not publish for that metric. A metric with a
//! wrong dimension is not an error anywhere in AWS: it shows an empty graph and an alarm that never fires.

pub mod dashboard;
pub mod metric;
pub mod published;

pub use metric::{
    ApiGatewayMetric, ApiStage, AuroraMetric, ClusterRole, Dimension, DmsTask, DmsTaskMetric,
    LambdaMetric, Metric, StatesMetric,
};
