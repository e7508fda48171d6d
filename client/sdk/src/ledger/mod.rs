//! The ledger the workflow runs on, seen through the contract's four
//! functions: a Fabric network through the gateway, or the in-process
//! [`embedded`] development ledger. Both run the same contract with the same
//! validation and deliver the same chaincode events.

pub mod embedded;
#[cfg(feature = "test-support")]
mod stream_cut;

#[cfg(feature = "test-support")]
pub use stream_cut::StreamCut;

use fabric_shim::ClientIdentity;
use fabric_shim::identity::parse_certificate_pem;
use futures::stream::{BoxStream, StreamExt};
use medchain_contract::is_case_index_key;
use medchain_protocol::limits::MAX_CASE_RECORDS;
use medchain_protocol::participant_index;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecords, ConsortiumPolicy, InputParameter, StoredRecord};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::connect::EMBEDDED_MSP_ID;
use medchain_protocol::{ContractFailure, ErrorCode, function};
use p256::PublicKey;
use prost::Message;
use sha2::{Digest, Sha256};

use embedded::{EmbeddedError, EmbeddedLedger};
use fabric_gateway::{
    ChaincodeEvent, Checkpoint, Contract, Gateway, GatewayError, Network, StartPosition,
    SubmitResult,
};

/// Why a ledger call failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The embedded ledger failed or rejected the call.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// The Fabric gateway failed or the chaincode rejected the call.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The signing identity's certificate is not one the contract accepts.
    #[error("the identity's certificate is unusable: {0}")]
    Identity(#[from] fabric_shim::IdentityError),
    /// A query (`Get`, `GetCase`, `GetParticipant`, `GetPolicy`) failed:
    /// a read, which wrote nothing.
    #[error("the ledger did not answer the query {function}: {source}")]
    Query {
        /// The contract function queried.
        function: String,
        /// Why it failed.
        source: Box<LedgerError>,
    },
    /// The ledger answered with bytes that do not decode.
    #[error("the ledger returned a malformed {0}")]
    Malformed(&'static str),
    /// The ledger answered with something other than what was asked for
    /// (a faulty or compromised peer): the sentence says what.
    #[error("{0}; the peer may be faulty or compromised — try another peer")]
    Unverified(String),
}

/// How often a Fabric submission is tried in all when an endorsing peer
/// seems not to have committed a block the caller already saw.
const LAGGING_PEER_ATTEMPTS: u32 = 5;
/// The pause before the first such retry; it doubles after each attempt
/// (50 + 100 + 200 + 400 ms in all).
const LAGGING_PEER_FIRST_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// Whether an endorsement failed the way a peer that lags one block behind
/// makes it fail: the contract refused with `not_found` (no such case) or
/// `out_of_order` (no such response) what the caller knows is committed.
fn is_lagging_peer(error: &GatewayError) -> bool {
    gateway_contract_failure(error)
        .is_some_and(|f| matches!(f.code, ErrorCode::NotFound | ErrorCode::OutOfOrder))
}

/// The contract's refusal inside a failed gateway call, if the call failed
/// because the contract refused it on an endorsing peer.
///
/// The gateway client reads each endorser's chaincode response (status and
/// message) from Fabric's wording ([`GatewayError::chaincode_responses`]);
/// each is read with [`ContractFailure::parse`], and the first endorser that
/// refused in the protocol's wire form gives the answer. Nothing else is
/// ever searched for words.
pub fn gateway_contract_failure(error: &GatewayError) -> Option<ContractFailure> {
    error
        .chaincode_responses()
        .iter()
        .find_map(|response| ContractFailure::parse(response.status, &response.message))
}

/// Checks that a record the ledger returned is the one stored under
/// `key`: κ is SHA-256 of the stored input parameter, so one peer cannot
/// substitute another record's content.
pub(crate) fn verify_record(key: &[u8], value: &[u8]) -> Result<(), LedgerError> {
    if Sha256::digest(value)[..] == *key {
        Ok(())
    } else {
        Err(LedgerError::Unverified(format!(
            "the ledger returned record {} whose content does not match its key",
            hex::encode(key)
        )))
    }
}

/// Reads a case page by page (`GetCase(κ0)`, then `GetCase(κ0, bookmark)`),
/// holding one page at a time. Every record of every page is checked to be
/// the one stored under its key and to belong to the case; a page must be
/// non-empty unless it is the last, each bookmark must be a key of the
/// case's index beyond the previous one, and a case cannot hold more than
/// [`MAX_CASE_RECORDS`] records, so a lying peer can neither substitute
/// content nor keep the reader paging forever.
pub struct CasePages<'a> {
    ledger: &'a Ledger,
    kappa0: Vec<u8>,
    /// Where the next page starts; `None` once the case is exhausted.
    bookmark: Option<String>,
    records: u64,
    pages: u64,
}

impl std::fmt::Debug for CasePages<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasePages")
            .field("case", &hex::encode(&self.kappa0))
            .field("bookmark", &self.bookmark)
            .field("records", &self.records)
            .field("pages", &self.pages)
            .finish()
    }
}

impl CasePages<'_> {
    /// The next page's records (in index order), or `None` after the last
    /// page. The first call fails with `not_found` for an unknown case.
    pub async fn next_page(&mut self) -> Result<Option<Vec<StoredRecord>>, LedgerError> {
        let Some(from) = self.bookmark.take() else {
            return Ok(None);
        };
        let page = self.ledger.get_case_page(&self.kappa0, &from).await?;
        let case_hex = hex::encode(&self.kappa0);
        let lied = |why: String| {
            Err(LedgerError::Unverified(format!(
                "the ledger returned a page of case {case_hex} that {why}"
            )))
        };
        self.pages += 1;
        self.records += page.records.len() as u64;
        if self.records > MAX_CASE_RECORDS {
            return lied(format!(
                "takes it past {MAX_CASE_RECORDS} records, more than a case can hold"
            ));
        }
        if !page.bookmark.is_empty() {
            if page.records.is_empty() {
                return lied("is empty but names a next page".into());
            }
            if page.bookmark <= from || !is_case_index_key(&self.kappa0, &page.bookmark) {
                return lied("names a next page that is not further into the case's index".into());
            }
            self.bookmark = Some(page.bookmark);
        }
        for record in &page.records {
            verify_case_record(&self.kappa0, record)?;
        }
        Ok(Some(page.records))
    }

    /// How many pages have been read so far.
    pub fn pages_read(&self) -> u64 {
        self.pages
    }
}

/// Checks that a record the ledger returned as part of case κ0 is the one
/// stored under its key and belongs to the case (the case's opening, or a
/// response or record naming κ0).
fn verify_case_record(kappa0: &[u8], stored: &StoredRecord) -> Result<(), LedgerError> {
    verify_record(&stored.key, &stored.value)?;
    let record = InputParameter::decode(stored.value.as_slice())
        .ok()
        .and_then(|i| i.record);
    let belongs = match &record {
        Some(Record::Txtc(_)) => stored.key == kappa0,
        Some(Record::Txtr(r)) => r.case_key == kappa0,
        Some(Record::Txd(r) | Record::Txm(r) | Record::Txa(r)) => r.case_key == kappa0,
        Some(Record::Txgo(g)) => g.case_key == kappa0,
        Some(Record::Txgr(g)) => g.case_key == kappa0,
        Some(Record::Txgt(g)) => g.case_key == kappa0,
        Some(Record::Txeo(e)) => e.case_key == kappa0,
        Some(Record::Txer(e)) => e.case_key == kappa0,
        Some(Record::Txet(e)) => e.case_key == kappa0,
        Some(Record::Reg(_)) | None => false,
    };
    if belongs {
        Ok(())
    } else {
        Err(LedgerError::Unverified(format!(
            "the ledger returned record {} as part of case {}, to which it does not belong",
            hex::encode(&stored.key),
            hex::encode(kappa0)
        )))
    }
}

impl LedgerError {
    /// The contract's refusal, if the contract refused the call: from the
    /// contract's error on the embedded ledger, and from the endorsing
    /// peers' responses through the Fabric gateway
    /// ([`gateway_contract_failure`]).
    pub fn contract_failure(&self) -> Option<ContractFailure> {
        match self {
            Self::Embedded(EmbeddedError::Rejected(refusal)) => {
                let code = refusal.code();
                let text = refusal.to_string();
                Some(
                    ContractFailure::parse(code.status(), &text).unwrap_or(ContractFailure {
                        code,
                        message: text,
                    }),
                )
            }
            Self::Gateway(e) => gateway_contract_failure(e),
            Self::Query { source, .. } => source.contract_failure(),
            _ => None,
        }
    }

    /// Whether the contract looked for something that does not exist (it
    /// refused with `not_found`).
    pub fn is_not_found(&self) -> bool {
        self.contract_failure()
            .is_some_and(|f| f.code == ErrorCode::NotFound)
    }

    /// Whether the call failed because the connection to the ledger broke
    /// or could not be made (a restarted or unreachable gateway peer).
    pub fn is_connection_failure(&self) -> bool {
        match self {
            Self::Gateway(e) => e.is_connection_failure(),
            Self::Query { source, .. } => source.is_connection_failure(),
            _ => false,
        }
    }
}

#[derive(Clone)]
enum Backend {
    Embedded(EmbeddedLedger),
    Fabric(Box<FabricBackend>),
}

/// A Fabric channel and the medchain contract on it.
#[derive(Clone)]
struct FabricBackend {
    network: Network,
    contract: Contract,
}

/// The CA root certificates (PEM) trusted to certify participants, by the
/// MSP id of the organisation whose CA they are.
pub type IssuerRoots = BTreeMap<String, Vec<String>>;

/// A connection to the ledger as one identity. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    backend: Backend,
    identity: ClientIdentity,
    issuer_roots: Arc<IssuerRoots>,
    /// The identity's P-256 key (the contract accepts no other).
    public_key: PublicKey,
    #[cfg(feature = "test-support")]
    event_cut: Option<(usize, StreamCut)>,
}

impl Ledger {
    /// Works on an embedded ledger as `identity`, whose certificate must
    /// hold a P-256 key (as the contract requires).
    pub fn embedded(ledger: EmbeddedLedger, identity: ClientIdentity) -> Result<Self, LedgerError> {
        let public_key = identity.p256_public_key()?;
        let roots = IssuerRoots::from([(
            EMBEDDED_MSP_ID.to_owned(),
            vec![ledger.ca().certificate_pem().to_owned()],
        )]);
        Ok(Self {
            backend: Backend::Embedded(ledger),
            identity,
            issuer_roots: Arc::new(roots),
            public_key,
            #[cfg(feature = "test-support")]
            event_cut: None,
        })
    }

    /// Works on the chaincode `chaincode` of the channel `channel` through
    /// a gateway connection, as the gateway's signing identity.
    pub fn fabric(gateway: &Gateway, channel: &str, chaincode: &str) -> Result<Self, LedgerError> {
        let signer = gateway.identity();
        let identity = ClientIdentity::from_pem(signer.msp_id(), signer.certificate_pem())?;
        let public_key = identity.p256_public_key()?;
        let network = gateway.network(channel);
        let contract = network.contract(chaincode);
        Ok(Self {
            backend: Backend::Fabric(Box::new(FabricBackend { network, contract })),
            identity,
            issuer_roots: Arc::new(IssuerRoots::new()),
            public_key,
            #[cfg(feature = "test-support")]
            event_cut: None,
        })
    }

    /// This connection asking exactly the organisations `msp_ids` to endorse
    /// every transaction it submits, all at once (a Fabric ledger; the
    /// embedded one has no endorsers). Empty: the gateway chooses.
    pub fn with_endorsing_organizations(mut self, msp_ids: &[String]) -> Self {
        if let Backend::Fabric(fabric) = &mut self.backend {
            fabric.contract = fabric
                .contract
                .clone()
                .with_endorsing_organizations(msp_ids.iter().cloned());
        }
        self
    }

    /// This connection trusting `roots` (rather than none, for a Fabric
    /// ledger) to certify participants' roles.
    pub fn with_issuer_roots(mut self, roots: IssuerRoots) -> Self {
        self.issuer_roots = Arc::new(roots);
        self
    }

    /// The CA roots this connection trusts to certify participants: the
    /// embedded ledger's own CA, or the organisations' CAs of the network
    /// profile.
    pub fn issuer_roots(&self) -> &IssuerRoots {
        &self.issuer_roots
    }

    /// `GetPolicy`: the consortium's role policy, fixed at the chaincode's
    /// initialization.
    pub async fn get_policy(&self) -> Result<ConsortiumPolicy, LedgerError> {
        let bytes = self.evaluate_without_argument(function::GET_POLICY).await?;
        ConsortiumPolicy::decode(bytes.as_slice())
            .map_err(|_| LedgerError::Malformed("role policy"))
    }

    /// The identity that signs this connection's transactions.
    pub fn identity(&self) -> &ClientIdentity {
        &self.identity
    }

    /// The P-256 public key of this connection's identity.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The participant index of this connection's identity.
    pub fn ind(&self) -> u64 {
        participant_index(&self.public_key)
    }

    /// The number of committed blocks: a watcher checkpointed at this height
    /// sees only what comes next.
    pub async fn height(&self) -> Result<u64, LedgerError> {
        match &self.backend {
            Backend::Embedded(ledger) => Ok(ledger.height().await?),
            Backend::Fabric(fabric) => {
                let network = &fabric.network;
                let info = network
                    .contract("qscc")
                    .evaluate("GetChainInfo", &[network.name().as_bytes()])
                    .await?;
                fabric_protos::common::BlockchainInfo::decode(info.as_slice())
                    .map(|i| i.height)
                    .map_err(|_| LedgerError::Malformed("chain information"))
            }
        }
    }

    /// Submits `Store(input)` and waits for the commit; returns κ.
    pub async fn store(&self, input: &InputParameter) -> Result<SubmitResult, LedgerError> {
        self.submit(function::STORE, &input.encode_to_vec()).await
    }

    /// `Get(κ)`: the stored input parameter.
    pub async fn get(&self, kappa: &[u8]) -> Result<InputParameter, LedgerError> {
        let bytes = self.evaluate(function::GET, kappa).await?;
        verify_record(kappa, &bytes)?;
        InputParameter::decode(bytes.as_slice()).map_err(|_| LedgerError::Malformed("record"))
    }

    /// Every record of a case, read page by page ([`Ledger::case_pages`])
    /// and collected: for small uses; a reader of a long case takes the
    /// pages one at a time instead.
    pub async fn get_case(&self, kappa0: &[u8]) -> Result<CaseRecords, LedgerError> {
        let mut pages = self.case_pages(kappa0);
        let mut records = Vec::new();
        while let Some(page) = pages.next_page().await? {
            records.extend(page);
        }
        Ok(CaseRecords {
            records,
            bookmark: String::new(),
        })
    }

    /// The records of case κ0, one verified `GetCase` page at a time.
    pub fn case_pages(&self, kappa0: &[u8]) -> CasePages<'_> {
        CasePages {
            ledger: self,
            kappa0: kappa0.to_vec(),
            bookmark: Some(String::new()),
            records: 0,
            pages: 0,
        }
    }

    /// One `GetCase` page from `bookmark` (empty: the first page), as the
    /// ledger answered it, unverified ([`CasePages`] verifies).
    async fn get_case_page(
        &self,
        kappa0: &[u8],
        bookmark: &str,
    ) -> Result<CaseRecords, LedgerError> {
        let bytes = if bookmark.is_empty() {
            self.evaluate(function::GET_CASE, kappa0).await?
        } else {
            self.evaluate_args(function::GET_CASE, &[kappa0, bookmark.as_bytes()])
                .await?
        };
        CaseRecords::decode(bytes.as_slice()).map_err(|_| LedgerError::Malformed("case"))
    }

    /// `GetParticipant(ind)`: a registration, or `None` when `ind` is not
    /// registered. The registration's certificate is checked to hold the
    /// key of participant `ind`.
    pub async fn get_participant(&self, ind: u64) -> Result<Option<InputParameter>, LedgerError> {
        let bytes = match self
            .evaluate(function::GET_PARTICIPANT, &ind.to_be_bytes())
            .await
        {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let malformed = || LedgerError::Malformed("registration");
        let input = InputParameter::decode(bytes.as_slice()).map_err(|_| malformed())?;
        let Some(Record::Reg(registration)) = &input.record else {
            return Err(malformed());
        };
        let (_, key) =
            parse_certificate_pem(&registration.certificate_pem).map_err(|_| malformed())?;
        let registered = participant_index(&key);
        if registered != ind {
            return Err(LedgerError::Unverified(format!(
                "the ledger returned the registration of participant {registered:016x} when asked for participant {ind:016x}"
            )));
        }
        Ok(Some(input))
    }

    /// Submits a transaction and waits for its commit.
    pub async fn submit(
        &self,
        function: &str,
        argument: &[u8],
    ) -> Result<SubmitResult, LedgerError> {
        match &self.backend {
            Backend::Embedded(ledger) => Ok(ledger
                .submit(
                    &self.identity,
                    vec![function.as_bytes().to_vec(), argument.to_vec()],
                )
                .await?),
            Backend::Fabric(fabric) => {
                // An endorsement runs on a peer of every organization. The
                // caller may already have seen a block (its own peer's
                // event or commit status) that another organization's peer
                // has not committed yet; that peer's simulation then fails
                // with `not_found` or `out_of_order`. Such a failure is
                // retried briefly; a genuine one is reported after the
                // last attempt.
                let mut delay = LAGGING_PEER_FIRST_DELAY;
                let mut attempt = 1;
                loop {
                    match fabric.contract.submit(function, &[argument]).await {
                        Ok(result) => return Ok(result),
                        Err(e) if attempt < LAGGING_PEER_ATTEMPTS && is_lagging_peer(&e) => {
                            tracing::debug!(attempt, error = %e, "an endorsing peer may lag behind; retrying");
                            tokio::time::sleep(delay).await;
                            delay *= 2;
                            attempt += 1;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
    }

    /// Evaluates a query.
    pub async fn evaluate(&self, function: &str, argument: &[u8]) -> Result<Vec<u8>, LedgerError> {
        self.evaluate_args(function, &[argument]).await
    }

    /// Evaluates `function` with no argument.
    async fn evaluate_without_argument(&self, function: &str) -> Result<Vec<u8>, LedgerError> {
        self.evaluate_args(function, &[]).await
    }

    async fn evaluate_args(&self, function: &str, args: &[&[u8]]) -> Result<Vec<u8>, LedgerError> {
        let answer = match &self.backend {
            Backend::Embedded(ledger) => {
                let mut all = vec![function.as_bytes().to_vec()];
                all.extend(args.iter().map(|a| a.to_vec()));
                ledger
                    .evaluate(&self.identity, all)
                    .await
                    .map_err(LedgerError::from)
            }
            Backend::Fabric(fabric) => fabric
                .contract
                .evaluate(function, args)
                .await
                .map_err(LedgerError::from),
        };
        answer.map_err(|source| LedgerError::Query {
            function: function.to_owned(),
            source: Box::new(source),
        })
    }

    /// The chaincode events after `checkpoint` (from the first block when
    /// `None`), in commit order, forever.
    pub fn events(
        &self,
        checkpoint: Option<Checkpoint>,
    ) -> Result<BoxStream<'static, Result<ChaincodeEvent, LedgerError>>, LedgerError> {
        let stream = self.uncut_events(checkpoint)?;
        #[cfg(feature = "test-support")]
        let stream = match self.event_cut {
            None => stream,
            Some((events, how)) => how.cut(stream, events),
        };
        Ok(stream)
    }

    fn uncut_events(
        &self,
        checkpoint: Option<Checkpoint>,
    ) -> Result<BoxStream<'static, Result<ChaincodeEvent, LedgerError>>, LedgerError> {
        match &self.backend {
            Backend::Embedded(ledger) => {
                // One transaction per block: resume after the checkpoint's
                // transaction, or at its block when it names none.
                let from = checkpoint.map_or(0, |c| {
                    c.block_number() + u64::from(c.transaction_id().is_some())
                });
                Ok(ledger
                    .events(from)
                    .map(|e| e.map_err(LedgerError::from))
                    .boxed())
            }
            Backend::Fabric(fabric) => {
                let start = StartPosition::resume(checkpoint, StartPosition::Block(0));
                let stream = fabric
                    .network
                    .chaincode_events(fabric.contract.chaincode_name(), start)?;
                Ok(stream.map(|e| e.map_err(LedgerError::from)).boxed())
            }
        }
    }
}
