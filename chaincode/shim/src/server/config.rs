//! Server configuration from Fabric's chaincode-as-a-service environment
//! variables.

use std::ffi::OsString;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

use super::tls::{TlsConfig, has_pem_block};

/// The listen address, e.g. `0.0.0.0:9999` (`:9999` listens on every
/// interface, as in Go).
pub const ENV_SERVER_ADDRESS: &str = "CHAINCODE_SERVER_ADDRESS";
/// The chaincode package ID (`label:hash`) sent in `REGISTER`.
pub const ENV_CHAINCODE_ID: &str = "CHAINCODE_ID";
/// The spelling of [`ENV_CHAINCODE_ID`] used by Fabric's launcher.
pub const ENV_CORE_CHAINCODE_ID_NAME: &str = "CORE_CHAINCODE_ID_NAME";
/// Path of the server's PEM certificate (TLS on when set).
pub const ENV_TLS_CERT: &str = "CHAINCODE_TLS_CERT";
/// Path of the server's PEM private key.
pub const ENV_TLS_KEY: &str = "CHAINCODE_TLS_KEY";
/// Path of the PEM CA certificate that signs the peers' client certificates
/// (mutual TLS on when set).
pub const ENV_CLIENT_CA_CERT: &str = "CHAINCODE_CLIENT_CA_CERT";

/// A configuration variable is missing or wrong. The message is one line
/// naming the variable, what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}; {fix}")]
pub struct ConfigError {
    variable: &'static str,
    problem: String,
    fix: &'static str,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>, fix: &'static str) -> Self {
        Self {
            variable,
            problem: problem.into().replace('\n', " "),
            fix,
        }
    }

    /// The environment variable at fault.
    pub fn variable(&self) -> &'static str {
        self.variable
    }
}

const FIX_ADDRESS: &str =
    "set it to the host:port the chaincode server listens on, e.g. 0.0.0.0:9999";
const FIX_ID: &str = "set CHAINCODE_ID to the chaincode package ID the peer knows (label:hash)";
const FIX_CERT: &str = "set it to the path of the server's PEM certificate";
const FIX_KEY: &str = "set it to the path of the PEM private key of CHAINCODE_TLS_CERT";
const FIX_CA: &str = "set it to the path of the PEM certificate of the CA that issues the peers' client certificates";
const FIX_PAIR: &str =
    "set both CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY (TLS) or neither (plain TCP)";

/// How the chaincode server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where the server listens.
    pub address: SocketAddr,
    /// The chaincode package ID sent to each peer in `REGISTER`.
    pub chaincode_id: String,
    /// TLS settings; `None` serves plain TCP.
    pub tls: Option<TlsConfig>,
}

impl ServerConfig {
    /// A plain-TCP configuration.
    pub fn new(address: SocketAddr, chaincode_id: impl Into<String>) -> Self {
        Self {
            address,
            chaincode_id: chaincode_id.into(),
            tls: None,
        }
    }

    /// The same configuration serving TLS.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Reads the configuration from the process environment:
    /// `CHAINCODE_SERVER_ADDRESS`, `CHAINCODE_ID` (or
    /// `CORE_CHAINCODE_ID_NAME`), and optionally `CHAINCODE_TLS_CERT` +
    /// `CHAINCODE_TLS_KEY` (both or neither) and `CHAINCODE_CLIENT_CA_CERT`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Like [`ServerConfig::from_env`], reading variables through `lookup`
    /// (`None` = unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let text = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(name) {
                None => Ok(None),
                Some(value) if value.is_empty() => Ok(None),
                Some(value) => value.into_string().map(Some).map_err(|_| {
                    ConfigError::new(name, "is not valid UTF-8", "set it to a UTF-8 value")
                }),
            }
        };

        let address = text(ENV_SERVER_ADDRESS)?
            .ok_or_else(|| ConfigError::new(ENV_SERVER_ADDRESS, "is not set", FIX_ADDRESS))?;
        let address = parse_address(&address)?;
        let chaincode_id =
            chaincode_id(text(ENV_CHAINCODE_ID)?, text(ENV_CORE_CHAINCODE_ID_NAME)?)?;

        let cert = text(ENV_TLS_CERT)?;
        let key = text(ENV_TLS_KEY)?;
        let ca = text(ENV_CLIENT_CA_CERT)?;
        let tls = match (cert, key) {
            (None, None) => {
                if ca.is_some() {
                    return Err(ConfigError::new(
                        ENV_CLIENT_CA_CERT,
                        "is set but TLS is off (CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY are unset)",
                        "set CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY too, or unset CHAINCODE_CLIENT_CA_CERT",
                    ));
                }
                None
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    ENV_TLS_KEY,
                    "is not set but CHAINCODE_TLS_CERT is",
                    FIX_PAIR,
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    ENV_TLS_CERT,
                    "is not set but CHAINCODE_TLS_KEY is",
                    FIX_PAIR,
                ));
            }
            (Some(cert), Some(key)) => Some(load_tls(&cert, &key, ca.as_deref())?),
        };

        Ok(Self {
            address,
            chaincode_id,
            tls,
        })
    }
}

fn parse_address(value: &str) -> Result<SocketAddr, ConfigError> {
    // Go's net.Listen reads ":9999" as every interface; so do we.
    let full = if value.starts_with(':') {
        format!("0.0.0.0{value}")
    } else {
        value.to_owned()
    };
    let invalid = |reason: String| {
        ConfigError::new(
            ENV_SERVER_ADDRESS,
            format!("({value:?}) is not a usable host:port address: {reason}"),
            FIX_ADDRESS,
        )
    };
    let mut addresses = full.to_socket_addrs().map_err(|e| invalid(e.to_string()))?;
    addresses
        .next()
        .ok_or_else(|| invalid("it resolves to no address".into()))
}

fn chaincode_id(id: Option<String>, core_name: Option<String>) -> Result<String, ConfigError> {
    match (id, core_name) {
        (Some(id), Some(name)) if id != name => Err(ConfigError::new(
            ENV_CHAINCODE_ID,
            format!("({id:?}) and CORE_CHAINCODE_ID_NAME ({name:?}) differ"),
            "set only one of them, to the chaincode package ID (label:hash)",
        )),
        (Some(id), _) | (None, Some(id)) => {
            if id.chars().any(char::is_whitespace) {
                Err(ConfigError::new(
                    ENV_CHAINCODE_ID,
                    format!("({id:?}) contains whitespace"),
                    FIX_ID,
                ))
            } else {
                Ok(id)
            }
        }
        (None, None) => Err(ConfigError::new(
            ENV_CHAINCODE_ID,
            "is not set (nor is CORE_CHAINCODE_ID_NAME)",
            FIX_ID,
        )),
    }
}

/// Reads a PEM file named by `variable` and checks it holds a `label` block
/// (`what` names it in the message).
fn read_pem(
    variable: &'static str,
    path: &str,
    label: &str,
    what: &str,
    fix: &'static str,
) -> Result<Vec<u8>, ConfigError> {
    let mut bytes = std::fs::read(Path::new(path))
        .map_err(|e| ConfigError::new(variable, format!("({path}) cannot be read: {e}"), fix))?;
    if !has_pem_block(&bytes, label) {
        bytes.zeroize();
        return Err(ConfigError::new(
            variable,
            format!("({path}) holds no {what}"),
            fix,
        ));
    }
    Ok(bytes)
}

fn load_tls(
    cert_path: &str,
    key_path: &str,
    ca_path: Option<&str>,
) -> Result<TlsConfig, ConfigError> {
    let certificate = read_pem(
        ENV_TLS_CERT,
        cert_path,
        "CERTIFICATE",
        "PEM certificate",
        FIX_CERT,
    )?;
    let key = Zeroizing::new(read_pem(
        ENV_TLS_KEY,
        key_path,
        "PRIVATE KEY",
        "PEM private key",
        FIX_KEY,
    )?);
    let client_ca = ca_path
        .map(|path| {
            read_pem(
                ENV_CLIENT_CA_CERT,
                path,
                "CERTIFICATE",
                "PEM certificate",
                FIX_CA,
            )
        })
        .transpose()?;

    let server_only = TlsConfig::new(certificate.clone(), key.to_vec(), None);
    server_only.check().map_err(|reason| {
        ConfigError::new(
            ENV_TLS_KEY,
            format!("({key_path}) and CHAINCODE_TLS_CERT ({cert_path}) do not form a usable TLS identity: {reason}"),
            "set them to a PEM certificate and the private key that belongs to it",
        )
    })?;
    let tls = TlsConfig::new(certificate, key.to_vec(), client_ca);
    if let Some(path) = ca_path {
        tls.check().map_err(|reason| {
            ConfigError::new(
                ENV_CLIENT_CA_CERT,
                format!("({path}) is not a usable CA certificate: {reason}"),
                FIX_CA,
            )
        })?;
    }
    Ok(tls)
}
