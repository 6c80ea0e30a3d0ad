//! The highest committed log id a node has let out of its Raft core: saved by its log store,
//! or sent to a follower in an append-entries. On the leader, this is at least the index of
//! every write acknowledged to a client (a write is acknowledged after it is applied, which
//! comes after its commit is saved) and of every write any follower may have applied (a
//! follower learns of a commit only from an append-entries): a read index taken from it sees
//! everything a client or another read may have seen, without a call into the Raft core.

use std::sync::{Arc, Mutex, PoisonError};

use openraft::LogId;

use crate::NodeId;

/// Cheap to clone: clones share the value.
#[derive(Debug, Clone, Default)]
pub struct CommitWatermark(Arc<Mutex<Option<LogId<NodeId>>>>);

impl CommitWatermark {
    /// Raises the watermark to `committed` if it is higher.
    pub fn raise(&self, committed: Option<&LogId<NodeId>>) {
        let Some(committed) = committed else { return };
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if held.as_ref().is_none_or(|h| h < committed) {
            *held = Some(*committed);
        }
    }

    /// The highest committed log id let out so far.
    pub fn get(&self) -> Option<LogId<NodeId>> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use openraft::CommittedLeaderId;

    use super::*;

    fn id(term: u64, index: u64) -> LogId<NodeId> {
        LogId::new(CommittedLeaderId::new(term, 1), index)
    }

    #[test]
    fn the_watermark_only_rises() {
        let w = CommitWatermark::default();
        assert_eq!(w.get(), None);
        w.raise(Some(&id(1, 5)));
        w.raise(Some(&id(1, 3)));
        w.raise(None);
        assert_eq!(w.get(), Some(id(1, 5)));
        w.raise(Some(&id(2, 6)));
        assert_eq!(w.clone().get(), Some(id(2, 6)));
    }
}
