//! Recover (KMIP 1.4 §4.22, 2.1 §6.1.46): an archived object back on-line. The object never
//! left the store, so the answer is immediate; the Archive Date is deleted, as the
//! attribute's definition asks. Recovering an object that is not archived changes nothing.

use kmip_messages::ResponsePayload;
use kmip_ttlv::Ttlv;
use kmip_ttlv::enums::Operation;
use raftkeep_store::{AttributeChange, Command};

use super::archive::{archived, uid_payload};
use super::context::{OpCtx, uid_in};
use crate::attrs::{self, names};
use crate::error::OpError;

/// Answers one Recover; its payload has no typed form, so it is read here.
pub async fn run(ctx: &mut OpCtx<'_>, payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(uid_in(payload).as_ref(), Operation::RECOVER)
        .await?;
    if archived(&object) {
        let changed = attrs::date(names::LAST_CHANGE_DATE, ctx.now)?;
        ctx.commit(Command::ChangeAttributes {
            uid: uid.clone(),
            changes: vec![
                AttributeChange::Delete {
                    name: names::ARCHIVE_DATE.to_owned(),
                    index: None,
                },
                AttributeChange::Set {
                    name: changed.name,
                    value: changed.value,
                },
            ],
        })
        .await?;
        tracing::info!(client = %ctx.client.fingerprint, %uid, "object recovered");
    }
    Ok(uid_payload(uid))
}
