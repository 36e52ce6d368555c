//! Connecting to PostgreSQL: over a Unix socket or with `sslmode=disable` in the clear;
//! otherwise with TLS (rustls with the `ring` provider), trusting the system's
//! certificate authorities (and `SSL_CERT_FILE`, as OpenSSL does). With
//! `sslmode=require` a server that offers no TLS, or one whose certificate does not
//! verify, is refused; with `prefer` (the default) a server without TLS is used in the
//! clear, as libpq does.

use std::sync::Arc;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Connects as `config` says.
pub(super) fn connect(config: &Config) -> Result<Client, Failure> {
    // A socket directory (`?host=/run/postgresql`) means this machine: no TLS, as
    // libpq does (a TLS connector cannot even name a socket as a server).
    let local = config
        .get_hosts()
        .iter()
        .any(|h| matches!(h, Host::Unix(_)));
    if local || config.get_ssl_mode() == SslMode::Disable {
        return config.connect(NoTls).map_err(Failure::Postgres);
    }
    let tls = MakeRustlsConnect::new(client_config().map_err(Failure::Tls)?);
    config.connect(tls).map_err(Failure::Postgres)
}

/// Why a connection could not be made.
pub(super) enum Failure {
    /// The server or the network said no.
    Postgres(postgres::Error),
    /// TLS could not be set up on this side.
    Tls(String),
}

fn client_config() -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the store cannot parse is skipped, as other clients do.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(
            "no trusted certificate authorities were found on this system (set SSL_CERT_FILE to a PEM file of them, or use sslmode=disable on a trusted network)"
                .into(),
        );
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS could not be set up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
