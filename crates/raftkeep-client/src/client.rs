//! The client: typed KMIP operations, each one request of one batch item sent through the
//! failover loop, with the negotiated protocol version, optional Username/Password, and an
//! idempotency key that makes a retried Create, Register or Re-key safe.

use std::fmt;

use kmip_messages::header::{Authentication, Credential, CredentialValue};
use kmip_messages::payload::create::CreateRequest;
use kmip_messages::payload::discover_versions::DiscoverVersionsRequest;
use kmip_messages::payload::get::{GetRequest, GetResponse};
use kmip_messages::payload::get_attributes::GetAttributesRequest;
use kmip_messages::payload::id::IdRequest;
use kmip_messages::payload::locate::LocateRequest;
use kmip_messages::payload::register::RegisterRequest;
use kmip_messages::payload::rekey::ReKeyRequest;
use kmip_messages::payload::revoke::RevokeRequest;
use kmip_messages::vendor::IDEMPOTENCY_PREFIX;
use kmip_messages::{
    Attribute, AttributeName, Attributes, ManagedObject, Message, ProtocolVersion,
    RequestBatchItem, RequestHeader, RequestMessage, RequestPayload, ResponsePayload,
    RevocationReason, SecretString, TemplateAttribute, UniqueIdentifier,
};
use kmip_ttlv::enums::{
    CredentialType, CryptographicAlgorithm, ObjectType, Operation, ResultStatus, State,
};
use tokio::sync::OnceCell;

use crate::config::ClientConfig;
use crate::connection::{Timeouts, connector};
use crate::error::ClientError;
use crate::failover::{Attempt, Exchange, Failover};
use crate::servers::{Server, try_order};

/// The versions this client speaks, most preferred first.
pub const SUPPORTED_VERSIONS: [ProtocolVersion; 7] = ProtocolVersion::ALL;

/// A successful answer: its payload and how it was obtained.
#[derive(Debug)]
pub struct Answer {
    /// The response payload, if the operation returns one.
    pub payload: Option<ResponsePayload>,
    /// The server that answered.
    pub server: Server,
    /// Every attempt, the answering one last.
    pub attempts: Vec<Attempt>,
    /// The server answered from its own copy while no leader could confirm it is current
    /// (an election, or the server cut off from the others): it may miss the latest changes.
    pub stale: bool,
}

/// A KMIP client for a cluster of servers.
pub struct Client {
    failover: Failover,
    authentication: Option<Authentication>,
    fixed_version: Option<ProtocolVersion>,
    negotiated: OnceCell<ProtocolVersion>,
    idempotency_keys: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("failover", &self.failover)
            .field("authentication", &self.authentication.is_some())
            .field(
                "version",
                &self.fixed_version.or(self.negotiated.get().copied()),
            )
            .finish()
    }
}

impl Client {
    /// A client for this configuration (validated here; nothing is dialled yet).
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        config.validate()?;
        let order = try_order(&config.servers, config.site.as_deref())?;
        let tls = connector(&config.ca, &config.cert, &config.key)?;
        let timeouts = Timeouts {
            connect: config.connect_timeout(),
            service: config.service_timeout(),
        };
        let failover = Failover::new(order, config.sticky, tls, timeouts);
        Ok(Client {
            failover: if config.reuse_connections {
                failover
            } else {
                failover.without_reuse()
            },
            authentication: credentials(config)?,
            fixed_version: config.protocol_version()?,
            idempotency_keys: config.idempotency_keys,
            negotiated: OnceCell::new(),
        })
    }

    /// Go on trying the servers for up to `wait` when none answered and one said it cannot
    /// serve now (Raftkeep's "unavailable": an election, no quorum yet). vCenter gives up at
    /// once; a person at `raftkeep keys` would rather wait out an election.
    pub fn waiting_out_unavailable(mut self, wait: std::time::Duration) -> Self {
        self.failover = self.failover.waiting_out_unavailable(wait);
        self
    }

    /// The protocol version requests use: the configured one, or the highest both sides
    /// support (one Discover Versions, the first time it is needed).
    pub async fn version(&self) -> Result<ProtocolVersion, ClientError> {
        if let Some(v) = self.fixed_version {
            return Ok(v);
        }
        self.negotiated
            .get_or_try_init(|| async {
                let offered = SUPPORTED_VERSIONS.to_vec();
                let answer = self
                    .call_in(
                        ProtocolVersion::V1_4,
                        Operation::DISCOVER_VERSIONS,
                        RequestPayload::DiscoverVersions(DiscoverVersionsRequest {
                            versions: offered,
                        }),
                    )
                    .await?;
                let Some(ResponsePayload::DiscoverVersions(r)) = answer.payload else {
                    return Err(unexpected(
                        Operation::DISCOVER_VERSIONS,
                        &answer.server,
                        "no version list",
                    ));
                };
                let chosen = r
                    .versions
                    .into_iter()
                    .find(|v| SUPPORTED_VERSIONS.contains(v));
                let chosen = chosen.ok_or_else(|| {
                    unexpected(
                        Operation::DISCOVER_VERSIONS,
                        &answer.server,
                        "no protocol version in common",
                    )
                })?;
                tracing::debug!(version = %chosen, "protocol version negotiated");
                Ok(chosen)
            })
            .await
            .copied()
    }

    /// Sends one operation in the negotiated version; a failed item is [`ClientError::Kmip`].
    pub async fn call(
        &self,
        operation: Operation,
        payload: RequestPayload,
    ) -> Result<Answer, ClientError> {
        let version = self.version().await?;
        self.call_in(version, operation, payload).await
    }

    async fn call_in(
        &self,
        version: ProtocolVersion,
        operation: Operation,
        payload: RequestPayload,
    ) -> Result<Answer, ClientError> {
        let exchange = self.send(self.request(version, operation, payload)).await?;
        let stale = exchange.stale();
        let Exchange {
            response,
            server,
            attempts,
        } = exchange;
        let Some(item) = response.batch_items.into_iter().next() else {
            return Err(unexpected(
                operation,
                &server,
                "a response without batch items",
            ));
        };
        if item.result_status != ResultStatus::SUCCESS {
            return Err(ClientError::Kmip {
                operation,
                server: server.to_string(),
                reason: item
                    .result_reason
                    .unwrap_or(kmip_ttlv::enums::ResultReason::GENERAL_FAILURE),
                message: item.result_message.unwrap_or_default(),
                attempts,
            });
        }
        Ok(Answer {
            payload: item.payload,
            server,
            attempts,
            stale,
        })
    }

    /// Sends a whole request message through the failover loop. Items without a Unique
    /// Batch Item ID get one that tells a Raftkeep server this client understands its
    /// "unavailable" mark (`kmip_messages::vendor::AWARE_PREFIX`; any other server only
    /// echoes it): a Raftkeep node that cannot serve the request then says so, instead of
    /// closing the connection as it does for clients that fail over only from a server that
    /// looks down.
    pub async fn send(&self, mut request: RequestMessage) -> Result<Exchange, ClientError> {
        for (position, item) in request.batch_items.iter_mut().enumerate() {
            if item.unique_batch_item_id.is_none() {
                item.unique_batch_item_id =
                    Some(kmip_messages::vendor::aware_batch_item_id(position).into());
            }
        }
        let bytes = request.encode()?;
        self.failover.send(&bytes).await
    }

    /// A one-item request with this client's credentials and a fresh idempotency key: every
    /// server the failover loop sends it to sees the same key.
    pub fn request(
        &self,
        version: ProtocolVersion,
        operation: Operation,
        payload: RequestPayload,
    ) -> RequestMessage {
        let mut header = RequestHeader::new(version, 1);
        header.authentication = self.authentication.clone();
        // Client Correlation Value exists from KMIP 1.4 on.
        if self.idempotency_keys && version >= ProtocolVersion::V1_4 {
            header.client_correlation_value =
                Some(format!("{IDEMPOTENCY_PREFIX}{}", uuid::Uuid::new_v4()));
        }
        RequestMessage {
            header,
            batch_items: vec![RequestBatchItem {
                operation,
                ephemeral: None,
                unique_batch_item_id: None,
                payload,
                message_extension: None,
            }],
        }
    }

    /// Creates a symmetric key; returns its Unique Identifier.
    pub async fn create_symmetric_key(
        &self,
        algorithm: CryptographicAlgorithm,
        length: i32,
        mut attributes: Vec<Attribute>,
    ) -> Result<String, ClientError> {
        attributes.insert(
            0,
            Attribute::new(
                "Cryptographic Algorithm",
                kmip_ttlv::Value::Enumeration(algorithm.0),
            ),
        );
        attributes.insert(
            1,
            Attribute::new("Cryptographic Length", kmip_ttlv::Value::Integer(length)),
        );
        let payload = RequestPayload::Create(CreateRequest {
            object_type: ObjectType::SYMMETRIC_KEY,
            template: template(attributes),
            protection_storage_masks: None,
        });
        let answer = self.call(Operation::CREATE, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Create(r)) => Ok(uid_text(r.unique_identifier)),
            _ => Err(unexpected(
                Operation::CREATE,
                &answer.server,
                "no Create payload",
            )),
        }
    }

    /// Registers an object the caller brings; returns its Unique Identifier.
    pub async fn register(
        &self,
        object: ManagedObject,
        attributes: Vec<Attribute>,
    ) -> Result<String, ClientError> {
        let payload = RequestPayload::Register(RegisterRequest {
            object_type: object.object_type(),
            template: template(attributes),
            object,
            protection_storage_masks: None,
        });
        let answer = self.call(Operation::REGISTER, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Register(r)) => Ok(uid_text(r.unique_identifier)),
            _ => Err(unexpected(
                Operation::REGISTER,
                &answer.server,
                "no Register payload",
            )),
        }
    }

    /// Gets an object with its key material.
    pub async fn get(&self, uid: &str) -> Result<GetResponse, ClientError> {
        let payload = RequestPayload::Get(GetRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: None,
        });
        let answer = self.call(Operation::GET, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Get(r)) => Ok(r),
            _ => Err(unexpected(Operation::GET, &answer.server, "no Get payload")),
        }
    }

    /// The object's attributes: the ones named, or all when `names` is empty.
    pub async fn get_attributes(
        &self,
        uid: &str,
        names: Vec<AttributeName>,
    ) -> Result<Attributes, ClientError> {
        let payload = RequestPayload::GetAttributes(GetAttributesRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            names,
        });
        let answer = self.call(Operation::GET_ATTRIBUTES, payload).await?;
        match answer.payload {
            Some(ResponsePayload::GetAttributes(r)) => Ok(r.attributes),
            _ => Err(unexpected(
                Operation::GET_ATTRIBUTES,
                &answer.server,
                "no Get Attributes payload",
            )),
        }
    }

    /// The objects whose attributes match all of `attributes` (up to `max_items`).
    pub async fn locate(
        &self,
        attributes: Vec<Attribute>,
        max_items: Option<i32>,
    ) -> Result<Vec<String>, ClientError> {
        let payload = RequestPayload::Locate(LocateRequest {
            maximum_items: max_items,
            offset_items: None,
            storage_status_mask: None,
            object_group_member: None,
            attributes: Attributes(attributes),
        });
        let answer = self.call(Operation::LOCATE, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Locate(r)) => {
                Ok(r.unique_identifiers.into_iter().map(uid_text).collect())
            }
            _ => Err(unexpected(
                Operation::LOCATE,
                &answer.server,
                "no Locate payload",
            )),
        }
    }

    /// Activates an object (Pre-Active → Active).
    pub async fn activate(&self, uid: &str) -> Result<(), ClientError> {
        let result = self
            .call(Operation::ACTIVATE, RequestPayload::Activate(id(uid)))
            .await;
        self.settle(uid, result, &[State::ACTIVE]).await
    }

    /// Revokes an object with a reason (Active → Deactivated, or Compromised).
    pub async fn revoke(&self, uid: &str, reason: RevocationReason) -> Result<(), ClientError> {
        let compromised = reason.code == kmip_ttlv::enums::RevocationReasonCode::KEY_COMPROMISE
            || reason.code == kmip_ttlv::enums::RevocationReasonCode::CA_COMPROMISE;
        let payload = RequestPayload::Revoke(RevokeRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            reason,
            compromise_occurrence_date: None,
        });
        let result = self.call(Operation::REVOKE, payload).await;
        let wanted = if compromised {
            State::COMPROMISED
        } else {
            State::DEACTIVATED
        };
        self.settle(uid, result, &[wanted]).await
    }

    /// Destroys an object's key material.
    pub async fn destroy(&self, uid: &str) -> Result<(), ClientError> {
        let result = self
            .call(Operation::DESTROY, RequestPayload::Destroy(id(uid)))
            .await;
        self.settle(
            uid,
            result,
            &[State::DESTROYED, State::DESTROYED_COMPROMISED],
        )
        .await
    }

    /// Replaces a symmetric key by a new one; returns the new key's Unique Identifier.
    pub async fn rekey(&self, uid: &str) -> Result<String, ClientError> {
        let payload = RequestPayload::ReKey(ReKeyRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            offset: None,
            template: None,
            protection_storage_masks: None,
        });
        let answer = self.call(Operation::RE_KEY, payload).await?;
        match answer.payload {
            Some(ResponsePayload::ReKey(r)) => Ok(uid_text(r.unique_identifier)),
            _ => Err(unexpected(
                Operation::RE_KEY,
                &answer.server,
                "no Re-key payload",
            )),
        }
    }

    /// A state change refused after an attempt that may have carried it out (the
    /// connection broke, the server hung): if the object is now in the state asked for, the
    /// earlier attempt did it and the change succeeded.
    async fn settle(
        &self,
        uid: &str,
        result: Result<Answer, ClientError>,
        wanted: &[State],
    ) -> Result<(), ClientError> {
        let err = match result {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let ClientError::Kmip {
            operation,
            attempts,
            ..
        } = &err
        else {
            return Err(err);
        };
        if !attempts.iter().any(|a| a.outcome.ambiguous()) {
            return Err(err);
        }
        // The cluster may be in the middle of a failure, and the server read from may not have
        // applied the change yet (reads are local): a few tries, bounded.
        let mut state = None;
        for pause in [0, 300, 1000] {
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            let read = self
                .get_attributes(uid, vec![AttributeName::new("State")])
                .await;
            if let Ok(attributes) = read {
                state = attributes.state();
                if state.is_some_and(|s| wanted.contains(&s)) {
                    break;
                }
            }
        }
        match state {
            Some(s) if wanted.contains(&s) => {
                tracing::info!(%uid, state = %s, "an earlier attempt carried out the change");
                Ok(())
            }
            Some(_) => Err(err),
            // Reporting the refusal would say "not done" about what may have been done.
            None => Err(ClientError::Unknown {
                operation: *operation,
                uid: uid.to_owned(),
                attempts: attempts.clone(),
            }),
        }
    }
}

fn credentials(config: &ClientConfig) -> Result<Option<Authentication>, ClientError> {
    let Some(username) = &config.username else {
        return Ok(None);
    };
    let password = match &config.password_env {
        Some(var) => Some(SecretString::new(std::env::var(var).map_err(|_| {
            ClientError::Config(format!("password_env names {var}, which is not set"))
        })?)),
        None => None,
    };
    Ok(Some(Authentication {
        credentials: vec![Credential {
            credential_type: CredentialType::USERNAME_AND_PASSWORD,
            value: CredentialValue::UsernamePassword {
                username: username.clone(),
                password,
            },
        }],
    }))
}

pub(crate) fn template(attributes: Vec<Attribute>) -> TemplateAttribute {
    TemplateAttribute {
        template_names: Vec::new(),
        attributes: Attributes(attributes),
    }
}

fn id(uid: &str) -> IdRequest {
    IdRequest {
        unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
    }
}

pub(crate) fn uid_text(uid: UniqueIdentifier) -> String {
    match uid {
        UniqueIdentifier::Text(t) => t,
        other => other.to_string(),
    }
}

pub(crate) fn unexpected(operation: Operation, server: &Server, detail: &str) -> ClientError {
    ClientError::Unexpected {
        operation,
        server: server.to_string(),
        detail: detail.to_owned(),
    }
}
