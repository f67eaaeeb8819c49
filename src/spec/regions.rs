//! Values AWS accepts, kept in one place so the spec validation and the error messages agree.

/// Commercial AWS regions.
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The values `AWS::Logs::LogGroup.RetentionInDays` accepts.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// PCI DSS 10.5.1: audit log history is kept for at least twelve months.
pub const PCI_MIN_LOG_RETENTION_DAYS: u32 = 365;

/// A region's facts. (Interim until the data derived from cfn-lint lands.)
pub struct RegionData {
    pub name: &'static str,
    pub availability_zones: u8,
}

pub fn region(name: &str) -> Option<RegionData> {
    REGIONS.iter().find(|r| **r == name).map(|r| RegionData {
        name: r,
        availability_zones: 3,
    })
}

pub fn unavailable_types<'a>(
    _region: &str,
    _types: impl IntoIterator<Item = &'a str>,
) -> Vec<&'static str> {
    Vec::new()
}
