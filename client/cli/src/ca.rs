//! Which CA a command talks to: an organisation of the network profile
//! (its `ca` entry), or a CA given by URL with its TLS root.

use std::path::Path;

use crate::args::CaEndpointArgs;
use crate::error::CliError;
use medchain_sdk::connect::NetworkProfile;
use medchain_sdk::identity::CaTarget;

/// Whether `--ca` names a URL rather than an organisation.
pub fn is_url(ca: &str) -> bool {
    ca.starts_with("https://") || ca.starts_with("http://")
}

/// The CA `ca` names: the organisation `ca` of `network` (read from
/// `path`), or the URL `ca` verified with `--ca-tls`.
pub fn target(
    network: &NetworkProfile,
    path: &Path,
    ca: &str,
    endpoint: &CaEndpointArgs,
) -> Result<CaTarget, CliError> {
    if !is_url(ca) {
        return Ok(CaTarget::from_profile(network, path, ca)?);
    }
    let tls = endpoint.ca_tls.as_deref().ok_or_else(|| {
        CliError::usage(format!(
            "--ca {ca} is a URL; give the PEM certificate that verifies its TLS certificate with --ca-tls FILE (or name an organisation of the profile instead)"
        ))
    })?;
    Ok(CaTarget::from_url(ca, endpoint.ca_name.as_deref(), tls)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_ca_url_needs_its_tls_root() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        std::fs::write(&path, r#"{"channel": "c", "chaincode": "m", "orgs": {}}"#).unwrap();
        let network = NetworkProfile::read(&path).unwrap();
        let endpoint = CaEndpointArgs {
            ca_tls: None,
            ca_name: None,
        };
        let e = target(&network, &path, "https://127.0.0.1:7054", &endpoint).unwrap_err();
        assert_eq!(e.status().code(), 2);
        assert!(e.message().contains("--ca-tls"), "{e}");
        let e = target(&network, &path, "org1", &endpoint).unwrap_err();
        assert_eq!(e.status().code(), 2);
        assert!(e.message().contains("no organisation \"org1\""), "{e}");
    }
}
