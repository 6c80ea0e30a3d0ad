//! What to do about an error: the refusals a new user meets in the first hour (a name taken,
//! a key still Active, a certificate not allowed or from another CA, a wrong port, a cluster
//! that cannot serve), each answered with the one command or setting that fixes it. Printed
//! by `main` after the error, as `hint: ...`.

use kmip_ttlv::enums::{Operation, ResultReason};
use raftkeep_client::{Attempt, ClientError, Outcome};

/// The hint for `error`, if there is one.
pub fn hint(error: &anyhow::Error) -> Option<String> {
    match error.downcast_ref::<ClientError>()? {
        ClientError::Kmip {
            operation,
            reason,
            message,
            ..
        } => refused(*operation, *reason, message),
        ClientError::NoServer { attempts } => unanswered(attempts),
        _ => None,
    }
}

/// A server's refusal.
fn refused(operation: Operation, reason: ResultReason, message: &str) -> Option<String> {
    if reason == ResultReason::NON_UNIQUE_NAME_ATTRIBUTE {
        return Some(
            "another object has this name: choose another --name, or find that object with `raftkeep keys locate --name NAME`".to_owned(),
        );
    }
    if reason == ResultReason::WRONG_KEY_LIFECYCLE_STATE && operation == Operation::DESTROY {
        return Some(
            "an Active key is revoked before it is destroyed: `raftkeep keys revoke UID`, then `raftkeep keys destroy UID`".to_owned(),
        );
    }
    if reason == ResultReason::WRONG_KEY_LIFECYCLE_STATE {
        return Some(
            "see the object's state with `raftkeep keys attrs UID State`; a Pre-Active key is activated with `raftkeep keys activate UID`".to_owned(),
        );
    }
    if reason == ResultReason::PERMISSION_DENIED
        && message.contains("is not allowed on this cluster")
    {
        return Some(
            "an operator allows this client's certificate: `raftkeep clients allow CERT.pem` (on the cluster endpoint, with an operator certificate)".to_owned(),
        );
    }
    None
}

/// Every server failed: what the failures have in common says what is wrong.
fn unanswered(attempts: &[Attempt]) -> Option<String> {
    let all = |f: &dyn Fn(&Outcome) -> bool| {
        !attempts.is_empty() && attempts.iter().all(|a| f(&a.outcome))
    };
    // A server whose certificate the CA does not know, or that speaks no TLS, is enough to
    // tell: the others may be down for reasons of their own.
    let any_down_with = |texts: &[&str]| {
        attempts.iter().any(
            |a| matches!(&a.outcome, Outcome::Down(why) if texts.iter().any(|t| why.contains(t))),
        )
    };
    if any_down_with(&["UnknownIssuer"]) {
        return Some(
            "the servers' certificates are not issued by the CA this client trusts: give the cluster's CA with --ca (or `ca =` in client.toml; `raftkeep dev` writes raftkeep-dev/ca.pem)".to_owned(),
        );
    }
    if all(&|o| matches!(o, Outcome::Invalid(_))) {
        return Some(
            "these addresses answer, but not in KMIP: KMIP is on port 5696 by default (`raftkeep dev` prints each node's); 7101 is the nodes' cluster port".to_owned(),
        );
    }
    if any_down_with(&["InvalidContentType", "corrupt message"]) {
        return Some(
            "no TLS at these addresses: is it the monitoring port (9696, plain HTTP)? KMIP is on 5696".to_owned(),
        );
    }
    if all(&|o| matches!(o, Outcome::Down(why) if why.contains("reset"))) {
        return Some(
            "the nodes reset the connection: a node does so while it can serve nothing (its cluster not initialized, or cut off for longer than max_stale_read_secs); `raftkeep cluster status` on a node says which".to_owned(),
        );
    }
    if attempts
        .iter()
        .any(|a| matches!(a.outcome, Outcome::Unavailable(_)))
    {
        return Some(
            "the cluster has no majority for this now (nodes down or cut off): `raftkeep cluster status` shows which nodes answer; reads of Active keys go on meanwhile".to_owned(),
        );
    }
    if all(&|o| matches!(o, Outcome::Down(why) if why.contains("refused"))) {
        return Some(
            "nothing listens there: are the nodes running (`raftkeep dev`, or `systemctl status raftkeep`), and is the address the KMIP port?".to_owned(),
        );
    }
    None
}
