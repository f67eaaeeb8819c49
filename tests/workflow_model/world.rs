//! What the model of AWS remembers: the parameters, the DMS tasks, the alarms, and the ghost facts the
//! invariants need (what has been validated and approved, which writes could still be stranded on the migration
//! side). Everything here is small and hashable: the explorer merges paths that reach the same world.

/// A DMS task's status, as DescribeReplicationTasks spells it; `Absent` when DMS has no such task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dms {
    Absent,
    Creating,
    Ready,
    Starting,
    Running,
    Stopping,
    Stopped,
    Failed,
    Modifying,
    Deleting,
}

impl Dms {
    pub fn as_str(self) -> &'static str {
        match self {
            Dms::Absent => "absent",
            Dms::Creating => "creating",
            Dms::Ready => "ready",
            Dms::Starting => "starting",
            Dms::Running => "running",
            Dms::Stopping => "stopping",
            Dms::Stopped => "stopped",
            Dms::Failed => "failed",
            Dms::Modifying => "modifying",
            Dms::Deleting => "deleting",
        }
    }

    /// Running, or about to: writes may flow through it.
    pub fn live(self) -> bool {
        matches!(self, Dms::Running | Dms::Starting)
    }
}

/// A CloudWatch alarm's state (its `StateValue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// A DMS endpoint's last connection test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Connection {
    None,
    Testing,
    Successful,
    Failed,
}

/// A page the workflows published: the `event` of the message, and the error it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Page {
    pub event: &'static str,
    pub error: Option<&'static str>,
}

/// The world.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct World {
    pub phase: &'static str,
    pub split: u8,
    pub cutover: bool,
    pub forward: Dms,
    pub reverse: Dms,
    /// Whether the forward task's full load is complete.
    pub loaded: bool,
    pub forward_gate: AlarmState,
    pub reverse_gate: AlarmState,
    pub health: AlarmState,
    pub connections: [Connection; 2],
    /// Faults (a failed call, a task dying, an alarm, an operator's hand) this path may still suffer.
    pub faults_left: u8,
    /// An AWS outage under way: every call fails until the workflow has waited this many more times.
    pub outage: u8,
    pub ghost: Ghost,
}

/// Facts that no AWS API shows but the invariants are about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    /// This migration execution saw a `consistent` validation.
    pub validated: bool,
    /// This migration execution was approved.
    pub approved: bool,
    /// How many of the spec's steps this migration execution has written.
    pub steps_written: u8,
    /// This migration execution changed something (a write, a start, a stop).
    pub changed: bool,
    /// This migration execution started, or tried to start, a rollback.
    pub started_rollback: bool,
    /// The world allowed this migration execution to start.
    pub startable: bool,
    /// Payments reached the migration side since the reverse task last drained: writes there that production
    /// does not have until the reverse task carries them back.
    pub undrained: bool,
    /// Seconds, up to a cap, that the split has been 0 with the reverse task running: the drain's clock.
    pub quiet_seconds: u16,
    /// This rollback execution has set the split to 0, and the switch off.
    pub moved_split: bool,
    pub moved_cutover: bool,
    /// The pages this execution published, latest last (at most a few).
    pub pages: Vec<Page>,
}

impl World {
    /// A stack just deployed: nothing started, the forward gate shut until CDC catches up.
    pub fn fresh(faults: u8) -> World {
        World {
            phase: "not-started",
            split: 0,
            cutover: false,
            forward: Dms::Ready,
            reverse: Dms::Ready,
            loaded: false,
            forward_gate: AlarmState::Alarm,
            reverse_gate: AlarmState::InsufficientData,
            health: AlarmState::Ok,
            connections: [Connection::None, Connection::None],
            faults_left: faults,
            outage: 0,
            ghost: Ghost::default(),
        }
    }

    /// Traffic reaches the migration side.
    pub fn traffic_on_migration(&self) -> bool {
        self.cutover && self.split > 0
    }

    /// Spends a fault; `None` when this path has none left.
    pub fn fault(&self) -> Option<World> {
        (self.faults_left > 0).then(|| {
            let mut w = self.clone();
            w.faults_left -= 1;
            w
        })
    }
}
